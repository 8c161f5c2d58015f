/* SCTP (protocol 1.6, 1.8): what sctp.c (the operations) and the two stacks share.
 *
 * A stack is a table of calls: sctp_kernel.c (the kernel's SCTP through the socket API,
 * IPPROTO_SCTP, where the kernel has it) and sctp_usrsctp.c (usrsctp, loaded at run time
 * with dlopen, SCTP inside UDP on loopback, RFC 6951). The two cannot share a file: usrsctp.h
 * and linux/sctp.h define the same names. Every call returns 0 (or a pointer, or a count) on
 * success and -1 (or NULL) with *e set. */
#ifndef SOCKSPEC_SCTP_H
#define SOCKSPEC_SCTP_H

#include "adapter.h"

#include <stdint.h>

typedef struct SctpSocket SctpSocket; /* one stack's socket; each stack defines it */

typedef struct {
    size_t len;          /* bytes read into the caller's buffer */
    int stream;          /* SCTP_RCVINFO rcv_sid */
    uint32_t ppid;       /* rcv_ppid, in host order */
    int unordered, eor;  /* SCTP_UNORDERED, MSG_EOR */
    int has_peer;        /* one-to-many: the association's peer address */
    struct sockaddr_storage peer;
} SctpMessage;

typedef struct {
    char state[32];     /* "established", ...; "unknown N" for a state the protocol has no name for */
    int outstreams, instreams;
    uint32_t peer_rwnd;
    struct sockaddr_storage primary;
} SctpStatus;

typedef struct {
    const char *name; /* "kernel", "usrsctp" */
    const char *(*version)(void);
    int (*encaps_port)(Error *e); /* the stack-wide UDP port; 0: none (SCTP over IP) */
    /* a new socket (type SOCK_STREAM: one-to-one, SOCK_SEQPACKET: one-to-many); *fd is the
     * descriptor the handle table keeps (usrsctp: a placeholder, see sctp_usrsctp.c) */
    SctpSocket *(*open)(int family, int type, int *fd, Error *e);
    int (*set_streams)(SctpSocket *s, int out, int in, Error *e); /* SCTP_INITMSG, 1.8 */
    int (*bind)(SctpSocket *s, const Address *a, Error *e);
    int (*listen)(SctpSocket *s, int backlog, Error *e);
    int (*connect)(SctpSocket *s, const Address *to, int encaps_port, double timeout, Error *e);
    SctpSocket *(*accept)(SctpSocket *s, double timeout, int *fd, Address *peer, Error *e);
    long (*send)(SctpSocket *s, const unsigned char *data, size_t len, int stream, uint32_t ppid, int unordered,
                 const Address *to, double timeout, Error *e);
    int (*recv)(SctpSocket *s, unsigned char *buffer, size_t max, double timeout, SctpMessage *m, Error *e);
    int (*shutdown)(SctpSocket *s, int how, Error *e);
    int (*abort)(SctpSocket *s, Error *e); /* ABORT, then releases the socket (also on failure) */
    void (*close)(SctpSocket *s);          /* graceful; releases the socket */
    int (*local)(SctpSocket *s, Address *a); /* 0 when the stack has an address to give */
    int (*peer)(SctpSocket *s, Address *a);
    int (*status)(SctpSocket *s, const Address *to, SctpStatus *st, Error *e); /* SCTP_STATUS, 1.8 */
    int (*set_hbinterval)(SctpSocket *s, long long ms, Error *e); /* ms < 0: heartbeats off, 1.8 */
    json_t *(*get_hbinterval)(SctpSocket *s, Error *e);
    int (*set_nodelay)(SctpSocket *s, int on, Error *e);
    json_t *(*get_nodelay)(SctpSocket *s, Error *e);
} SctpStack;

/* sctp_kernel.c: the kernel's stack, or NULL where the kernel has no SCTP (or no headers). */
const SctpStack *sctp_kernel_stack(void);
/* sctp_usrsctp.c: usrsctp, or NULL where libusrsctp.so.2 does not load, SOCKSPEC_NO_USRSCTP is
 * set, or the adapter was built without usrsctp.h. */
const SctpStack *sctp_usrsctp_stack(void);

#endif
