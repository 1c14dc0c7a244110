manual list
