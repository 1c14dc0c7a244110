rtcdata
