/* What the adapter's files share: sockets, handles, addresses, waiting, options, operations. */
#ifndef SOCKSPEC_ADAPTER_H
#define SOCKSPEC_ADAPTER_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"

#define WOULD_BLOCK(err) ((err) == EAGAIN || (err) == EWOULDBLOCK)

/* ---- handles.c ------------------------------------------------------------------------- */

typedef struct Server Server; /* serve.c */

typedef struct {
    int fd; /* -1 once closed: handles are never reused */
    int family;
    int type;
    Server *server;        /* serve.start: the echo server behind this handle (fd is its socket) */
    int nonblock;          /* 1.7: the program's blocking mode (option nonblock); the fd itself is O_NONBLOCK */
    struct SctpSocket *sctp; /* 1.6: an SCTP socket of sctp.c's stack (fd: its descriptor, or usrsctp's placeholder) */
} Sock;

extern Sock *table;     /* indexed by handle */
extern long next_handle;

long register_socket(int fd, int family, int type);
void close_handle(Sock *s, long *sessions);
void close_all(void);
Sock *arg_handle(json_t *args, long *handle_out, Error *e); /* any open handle */
Sock *arg_socket(json_t *args, long *handle_out, Error *e); /* an open socket (not a server) */
int new_socket(json_t *args, int family, int type, long *handle, Error *e);
int bind_to(Sock *s, json_t *address_args, Error *e);
json_t *discard(long handle);
json_t *discard_failing(long handle, Error *e, const char *context);

/* ---- address.c ------------------------------------------------------------------------- */

typedef struct {
    struct sockaddr_storage ss;
    socklen_t len;
} Address;

int make_address(int family, const char *host, long long port, Address *a, Error *e);
int address_arg(json_t *args, int family, Address *a, Error *e);
json_t *address_json(const struct sockaddr_storage *ss);
json_t *name_json(int fd, int peer, Error *e);
json_t *unix_address_json(const struct sockaddr_storage *ss, socklen_t len); /* unix.c */
int unix_server_address(json_t *address, Address *a, Error *e);              /* unix.c */

/* ---- wait.c ---------------------------------------------------------------------------- */

double now(void);
int wait_ready(int fd, short events, double timeout, double deadline, const char *what, Error *e);

/* ---- options.c ------------------------------------------------------------------------- */

int set_option(Sock *s, const char *name, json_t *value, Error *e);
json_t *get_option(Sock *s, const char *name, Error *e);
void append_option_features(json_t *features);

/* ---- protocol 1.5: options15.c, flags.c, connecting.c, readiness.c ----------------------- */

int is_option_15(const char *name);
int set_option_15(Sock *s, const char *name, json_t *value, Error *e);
json_t *get_option_15(Sock *s, const char *name, Error *e);
void append_option_15_features(json_t *features);
int arg_flag(json_t *args, const char *name, int *out, Error *e);
int any_flag(json_t *args, const char *const *names);
json_t *stream_recv_flags(Sock *s, json_t *args, size_t max, double timeout, Error *e);
json_t *stream_send_flags(Sock *s, json_t *args, const unsigned char *data, size_t len, double timeout, Error *e);
json_t *udp_recvfrom_flags(Sock *s, json_t *args, size_t max, double timeout, Error *e);
json_t *connect_15(json_t *args, Error *e);

/* ---- protocol 1.7: errqueue.c (udp.errqueue, options recverr and nonblock) --------------- */

int is_option_errqueue(const char *name);
int set_option_errqueue(Sock *s, const char *name, json_t *value, Error *e);
json_t *get_option_errqueue(Sock *s, const char *name, Error *e);
void append_option_errqueue_features(json_t *features);
int accepted_mode(const Sock *listener, int fd);

/* ---- serve.c --------------------------------------------------------------------------- */

void server_stop(Server *server, long *sessions);

/* ---- sctp.c (1.6, 1.8) ------------------------------------------------------------------ */

void append_sctp_features(json_t *features); /* only where a stack is there */
void sctp_close_handle(Sock *s);             /* close, reset: graceful */
int is_sctp_option(const char *name);
int set_sctp_option(Sock *s, const char *name, json_t *value, Error *e);
json_t *get_sctp_option(Sock *s, const char *name, Error *e);

/* ---- protocol 1.7: multicast.c (udp.join, udp.leave, options multicast_*) ---------------- */

int is_option_multicast(const char *name);
int set_option_multicast(Sock *s, const char *name, json_t *value, Error *e);
json_t *get_option_multicast(Sock *s, const char *name, Error *e);
void append_multicast_features(json_t *features);

/* ---- operations: json_t *op_NAME(args, e) → a result, or NULL with *e set ---------------- */

#define OPERATION(name) json_t *name(json_t *args, Error *e)
OPERATION(op_reset);        OPERATION(op_close);                                  /* handles.c */
OPERATION(op_addr_local);   OPERATION(op_addr_peer);                              /* address.c */
OPERATION(op_opt_set);      OPERATION(op_opt_get);                                /* options.c */
OPERATION(op_tcp_listen);   OPERATION(op_tcp_socket);   OPERATION(op_tcp_connect); /* tcp.c */
OPERATION(op_tcp_accept);   OPERATION(op_stream_send);  OPERATION(op_stream_recv);
OPERATION(op_stream_shutdown); OPERATION(op_stream_abort);
OPERATION(op_udp_bind);     OPERATION(op_udp_connect);  OPERATION(op_udp_sendto); /* udp.c */
OPERATION(op_udp_recvfrom);
OPERATION(op_raw_open);     OPERATION(op_raw_send);     OPERATION(op_raw_recv);   /* raw.c */
OPERATION(op_serve_start);  OPERATION(op_serve_stop);                             /* serve.c */
OPERATION(op_unix_listen);  OPERATION(op_unix_accept);  OPERATION(op_unix_connect); /* unix.c */
OPERATION(op_unix_bind);    OPERATION(op_unix_socketpair); OPERATION(op_unix_sendto);
OPERATION(op_unix_recvfrom); OPERATION(op_unix_peercred); OPERATION(op_unix_unlink);
OPERATION(op_wait);                                                               /* readiness.c */
OPERATION(op_udp_join);     OPERATION(op_udp_leave);                              /* multicast.c */
OPERATION(op_udp_disconnect);                                                     /* connecting.c */
OPERATION(op_udp_errqueue);                                                       /* errqueue.c */
OPERATION(op_sctp_stack);   OPERATION(op_sctp_listen);  OPERATION(op_sctp_connect); /* sctp.c */
OPERATION(op_sctp_accept);  OPERATION(op_sctp_send);    OPERATION(op_sctp_recv);
OPERATION(op_sctp_shutdown); OPERATION(op_sctp_abort);  OPERATION(op_sctp_status);
#undef OPERATION

#endif
