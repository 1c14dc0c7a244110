ntpdata
