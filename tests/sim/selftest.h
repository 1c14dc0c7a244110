/* Self-checks of the simulator's models; prints PASS/FAIL lines (tests/support/check.h). */
#ifndef SIM_SELFTEST_H
#define SIM_SELFTEST_H

/* Returns the number of failed checks. */
int selftest_run(void);

#endif
