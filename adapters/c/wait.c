/* Waiting: attempt first, then poll(2) against a CLOCK_MONOTONIC deadline (§4). */
#include "adapter.h"

#include <time.h>

double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* After an EAGAIN: 0 to try again, or -1 with the error set (EAGAIN or ETIMEDOUT). */
int wait_ready(int fd, short events, double timeout, double deadline, const char *what, Error *e) {
    if (timeout == 0) return fail(e, "EAGAIN", "%s: would block", what), -1;
    for (;;) {
        double left = deadline - now();
        if (left <= 0) return fail(e, "ETIMEDOUT", "%s: timed out after %g s", what, timeout), -1;
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, (int)(left * 1000) + 1); /* round up: never wake early */
        if (r > 0) return 0;
        if (r < 0 && errno != EINTR) return fail_errno(e, errno, "poll"), -1;
    }
}
