clients -k -p 1
