sources
