/* Prints the real kernel clock state with a read-only adjtimex() (modes = 0),
 * so a test can show that the machine's clock settings did not change. */
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>

int main(void)
{
    struct timex tx;
    memset(&tx, 0, sizeof(tx)); /* modes = 0: query only */
    if (adjtimex(&tx) < 0) {
        perror("adjtimex");
        return 1;
    }
    /* Only the settings a driver writes; maxerror and offset drift on their own. */
    printf("tick=%ld freq=%ld status=0x%x constant=%ld\n", (long)tx.tick, (long)tx.freq,
           (unsigned)tx.status & ~(unsigned)STA_RONLY, (long)tx.constant);
    return 0;
}
