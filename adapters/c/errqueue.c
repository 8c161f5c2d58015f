/* The error queue and the blocking mode (protocol 1.7): udp.errqueue, options recverr and nonblock.
 *
 * udp.errqueue is one recvmsg(2) with MSG_ERRQUEUE (Linux ip(7) IP_RECVERR, ipv6(7)
 * IPV6_RECVERR): the payload of the datagram that caused the entry, its original destination
 * (msg_name), and the struct sock_extended_err of the control message with the offender behind
 * it (SO_EE_OFFENDER). It never waits: an empty queue answers EAGAIN, as the kernel does.
 *
 * nonblock is the mode a program sees through fcntl(F_GETFL/F_SETFL): new sockets are blocking.
 * The adapter keeps its descriptors O_NONBLOCK for its own waiting (§4: poll with the request's
 * timeout), so the program's mode is kept in the handle (Sock.nonblock) and applied where its
 * own calls would feel it: a `blocking` call (flags.c) on a non-blocking socket is one attempt.
 * Where the kernel decides the mode, the adapter asks the kernel: an accepted socket's mode is
 * what accept4(2) without SOCK_NONBLOCK gave the new descriptor (tcp.c, accepted_mode). */
#include "adapter.h"

#include <linux/errqueue.h>

int is_option_errqueue(const char *name) { return !strcmp(name, "recverr") || !strcmp(name, "nonblock"); }

static void recverr_option(int family, int *level, int *option) {
    *level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
    *option = family == AF_INET6 ? IPV6_RECVERR : IP_RECVERR;
}

int set_option_errqueue(Sock *s, const char *name, json_t *value, Error *e) {
    if (!json_is_boolean(value)) return fail(e, "BADREQUEST", "option '%s' takes a bool", name), -1;
    int on = json_is_true(value);
    if (!strcmp(name, "nonblock")) {
        if (fcntl(s->fd, F_GETFL) < 0) return fail_errno(e, errno, "fcntl"), -1;
        s->nonblock = on;
        return 0;
    }
    int level, option;
    recverr_option(s->family, &level, &option);
    if (setsockopt(s->fd, level, option, &on, sizeof on) < 0) return fail_errno(e, errno, "setsockopt"), -1;
    return 0;
}

json_t *get_option_errqueue(Sock *s, const char *name, Error *e) {
    if (!strcmp(name, "nonblock")) {
        if (fcntl(s->fd, F_GETFL) < 0) return fail_errno(e, errno, "fcntl");
        return json_boolean(s->nonblock);
    }
    int level, option, on = 0;
    socklen_t len = sizeof on;
    recverr_option(s->family, &level, &option);
    if (getsockopt(s->fd, level, option, &on, &len) < 0) return fail_errno(e, errno, "getsockopt");
    return json_boolean(on);
}

void append_option_errqueue_features(json_t *features) {
    json_array_append_new(features, json_string("opt.recverr"));
    json_array_append_new(features, json_string("opt.nonblock"));
}

/* The mode of a descriptor accept4 just gave (without SOCK_NONBLOCK): O_NONBLOCK only if the kernel
 * carried it over from the listener (BSD does, Linux does not), and only if the program's listener
 * is non-blocking at all (the adapter's own descriptor always is). */
int accepted_mode(const Sock *listener, int fd) {
    int flags = fcntl(fd, F_GETFL);
    return listener->nonblock && flags >= 0 && (flags & O_NONBLOCK);
}

static const char *origin_name(int origin) {
    switch (origin) {
    case SO_EE_ORIGIN_LOCAL: return "local";
    case SO_EE_ORIGIN_ICMP: return "icmp";
    case SO_EE_ORIGIN_ICMP6: return "icmp6";
    default: return "none";
    }
}

json_t *op_udp_errqueue(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    if (!s) return NULL;
    unsigned char *buffer = malloc(65536);
    if (!buffer) return fail(e, "ENOMEM", "recvmsg: cannot allocate the buffer");
    union {
        char bytes[512];
        struct cmsghdr align;
    } control;
    struct sockaddr_storage destination;
    struct iovec iov = {buffer, 65536};
    struct msghdr msg = {.msg_name = &destination, .msg_namelen = sizeof destination, .msg_iov = &iov,
                         .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes};
    ssize_t n;
    do n = recvmsg(s->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT); while (n < 0 && errno == EINTR);
    if (n < 0) return free(buffer), fail_errno(e, errno, "recvmsg MSG_ERRQUEUE");
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
              (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
            continue;
        struct sock_extended_err ee;
        memcpy(&ee, CMSG_DATA(c), sizeof ee);
        struct sockaddr_storage offender = {0};
        size_t room = c->cmsg_len - CMSG_LEN(sizeof ee);
        memcpy(&offender, CMSG_DATA(c) + sizeof ee, room < sizeof offender ? room : sizeof offender);
        json_t *who = json_null();
        if (offender.ss_family == AF_INET || offender.ss_family == AF_INET6) {
            who = address_json(&offender);
            json_object_set_new(who, "port", json_integer(0));
        }
        json_t *result = json_pack("{s:s, s:s, s:i, s:i, s:o, s:o, s:o}", "errno", errno_name((int)ee.ee_errno),
                                   "origin", origin_name(ee.ee_origin), "type", ee.ee_type, "code", ee.ee_code,
                                   "offender", who, "peer", address_json(&destination),
                                   "data", b64_json(buffer, (size_t)n));
        free(buffer);
        return result;
    }
    free(buffer);
    return fail(e, "EIO", "recvmsg MSG_ERRQUEUE: no extended error came with the entry");
}
