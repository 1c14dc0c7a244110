selectdata -a
