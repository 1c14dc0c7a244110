sourcename ID#0000000001
