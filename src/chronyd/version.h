/* Version and feature string shared by -v and the start-up log line. */
#ifndef CHRONYD_VERSION_H
#define CHRONYD_VERSION_H

#define CHRONY_VERSION "4.8"
/* Features this build provides, in chrony's +/- notation. */
#define CHRONY_FEATURES                                                                            \
    "+CMDMON +NTP +REFCLOCK +RTC +PRIVDROP +SCFILTER +SIGND +ASYNCDNS +NTS +SECHASH +IPV6 -DEBUG"

#endif
