/* Tab completion lists of chronyc (chronyc/complete), those of chrony 4.8:
 * command names at the start, a few argument words after exactly one
 * command word and a space, nothing elsewhere. */
#include "check.h"

#include "chronyc/complete.h"

#include <string.h>

static void test_command_names(void)
{
    const char *const *l = complete_candidates("trac", 0);

    CHECK(l != NULL);
    CHECK_STR_EQ(complete_match(l, "trac", 0), "tracking");
    CHECK(complete_match(l, "trac", 1) == NULL);
    CHECK_STR_EQ(complete_match(l, "maxdelay", 0), "maxdelay");
    CHECK_STR_EQ(complete_match(l, "maxdelay", 1), "maxdelaydevratio");
    CHECK_STR_EQ(complete_match(l, "maxdelay", 2), "maxdelayratio");
    CHECK(complete_match(l, "maxdelay", 3) == NULL);
    CHECK_STR_EQ(complete_match(l, "q", 0), "quit");
    CHECK(complete_match(l, "x", 0) == NULL);
    /* chrony 4.8's list has 58 names, without the obsolete ones. */
    size_t n = 0;
    while (complete_match(l, "", n))
        n++;
    CHECK_INT_EQ(n, 58);
    CHECK(complete_match(l, "authhash", 0) == NULL);
}

static void test_argument_words(void)
{
    const char *const *l = complete_candidates("add s", 4);

    CHECK_STR_EQ(complete_match(l, "s", 0), "server");
    l = complete_candidates("manual ", 7);
    CHECK_STR_EQ(complete_match(l, "l", 0), "list");
    CHECK_STR_EQ(complete_match(l, "o", 1), "off");
    l = complete_candidates("sources -", 8);
    CHECK_STR_EQ(complete_match(l, "-", 0), "-a");
    CHECK_STR_EQ(complete_match(l, "-", 1), "-v");
    CHECK_STR_EQ(complete_match(complete_candidates("reset ", 6), "", 0), "sources");
    CHECK_STR_EQ(complete_match(complete_candidates("authdata ", 9), "-v", 0), "-v");
    /* Only right after the command word and one space. */
    CHECK(complete_candidates("sources -a -", 11) == NULL);
    CHECK(complete_candidates("add  s", 5) == NULL);
    CHECK(complete_candidates(" trac", 1) == NULL);
    CHECK(complete_candidates("tracking x", 9) == NULL);
}

int main(void)
{
    RUN(test_command_names);
    RUN(test_argument_words);
    return check_summary();
}
