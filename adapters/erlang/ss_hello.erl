%% hello: what gen_tcp/gen_udp can do (README.md, "Declares").
-module(ss_hello).
-export([hello/0]).

features() ->
    [<<"tcp">>, <<"udp">>, <<"udp.connect">>, <<"ipv4">>, <<"ipv6">>, <<"ipv4-mapped">>,
     <<"tcp.listener-io">>, <<"tcp.bind-connect">>, <<"stream.shutdown">>, <<"stream.abort">>,
     <<"nonblocking">>, <<"serve.tcp">>, <<"serve.udp">>, <<"serve.unix">>, <<"serve.unixgram">>,
     <<"opt.reuseaddr">>, <<"opt.reuseport">>, <<"opt.nodelay">>, <<"opt.keepalive">>,
     <<"opt.linger">>, <<"opt.rcvbuf">>, <<"opt.sndbuf">>, <<"opt.broadcast">>,
     <<"opt.v6only">>, <<"opt.ttl">>,
     %% 1.5: gen_udp:connect on a connected socket replaces its peer; inet's tos / tclass
     <<"udp.reconnect">>, <<"opt.tos">>,
     <<"unix.stream">>, <<"unix.dgram">>, <<"unix.abstract">>, <<"unix.autobind">>,
     %% 1.7 (ss_mcast): inet's add_membership/drop_membership and multicast options.
     %% Not declared (README.md): udp.errqueue, opt.recverr, opt.nonblock. 1.8: no SCTP.
     <<"multicast">>, <<"opt.multicast_loop">>, <<"opt.multicast_ttl">>, <<"opt.multicast_if">>].

hello() ->
    {ok, Vsn} = application:get_key(kernel, vsn),
    Release = erlang:system_info(otp_release),
    #{<<"protocol">> => <<"1.8">>,
      <<"implementation">> => <<"erlang-gen_tcp">>,
      <<"version">> => iolist_to_binary(["OTP ", Release, " (kernel ", Vsn, ", erts ",
                                         erlang:system_info(version), ")"]),
      <<"language">> => <<"erlang">>,
      <<"features">> => features()}.
