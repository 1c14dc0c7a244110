ntpdata ::1
