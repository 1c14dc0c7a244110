sourcestats -a
