/* Readiness (protocol 1.5, §6 "Readiness and connects"): wait, answered by poll(2). */
#include "adapter.h"

static const struct {
    const char *name;
    short bit;
} ASKED[] = {{"read", POLLIN}, {"write", POLLOUT}, {"rdhangup", POLLRDHUP}};

/* What fired, in the protocol's order: read/write/rdhangup when asked, error/hangup always. */
static json_t *fired(short revents, short mask) {
    json_t *events = json_array();
    if (revents & POLLIN & mask) json_array_append_new(events, json_string("read"));
    if (revents & POLLOUT & mask) json_array_append_new(events, json_string("write"));
    if (revents & POLLERR) json_array_append_new(events, json_string("error"));
    if (revents & POLLHUP) json_array_append_new(events, json_string("hangup"));
    if (revents & POLLRDHUP & mask) json_array_append_new(events, json_string("rdhangup"));
    return events;
}

json_t *op_wait(json_t *args, Error *e) {
    double timeout;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0) return NULL;
    json_t *events = json_object_get(args, "events"), *item;
    if (!json_is_array(events)) return fail(e, "BADREQUEST", "events must be a list");
    short mask = 0;
    size_t index;
    json_array_foreach(events, index, item) {
        size_t i = 0;
        while (i < sizeof ASKED / sizeof *ASKED && !(json_is_string(item) && !strcmp(ASKED[i].name, json_string_value(item))))
            i++;
        if (i == sizeof ASKED / sizeof *ASKED) return fail(e, "BADREQUEST", "unknown event in events");
        mask |= ASKED[i].bit;
    }
    double deadline = now() + timeout;
    for (;;) {
        double left = deadline - now();
        struct pollfd p = {s->fd, mask, 0};
        int r = poll(&p, 1, left <= 0 ? 0 : (int)(left * 1000) + 1);
        if (r > 0) return json_pack("{s:o}", "events", fired(p.revents, mask));
        if (r == 0) return json_pack("{s:[]}", "events");
        if (errno != EINTR) return fail_errno(e, errno, "poll");
    }
}
