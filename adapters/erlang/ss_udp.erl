%% UDP with gen_udp: udp.bind, udp.connect, udp.sendto, udp.recvfrom.
%%
%% Sockets keep gen_udp's default {active, true}: each datagram arrives as
%% {udp, S, IP, Port, Data}, already cut to the socket's user-level buffer (the `buffer`
%% option, 8192 bytes by default). udp.recvfrom takes those messages; `truncated` is
%% computed by the adapter (emulated): gen_udp does not report truncation.
-module(ss_udp).
-export([bind/1, connect/1, sendto/1, recvfrom/1]).
-export([receive_udp/2, recv_now/1, dgram_result/2, send_waiting/2, send_result/2]).

bind(Args) ->
    Fam = ss_args:family(Args),
    IP = ss_args:ip(ss_args:get(Args, <<"host">>, str), Fam),
    Port = ss_args:port(ss_args:get(Args, <<"port">>, int, 0)),
    Opts = ss_opts:creation(ss_args:options(Args), Fam),
    case gen_udp:open(Port, [binary, Fam, {ip, IP} | Opts]) of
        {ok, S} ->
            H = ss_handles:add(#{type => dgram, sock => S, fam => Fam}),
            #{<<"handle">> => H, <<"local">> => ss_addr:sockname(S)};
        {error, Reason} -> ss_err:throw_reason(Reason, "gen_udp:open")
    end.

connect(Args) ->
    {_, #{sock := S, fam := Fam}} = ss_handles:socket(Args),
    IP = ss_args:ip(ss_args:get(Args, <<"host">>, str), fam_of_ip(Fam)),
    Port = ss_args:port(ss_args:get(Args, <<"port">>, int)),
    case gen_udp:connect(S, IP, Port) of
        ok -> #{<<"local">> => ss_addr:sockname(S), <<"peer">> => ss_addr:peername(S)};
        {error, Reason} -> ss_err:throw_reason(Reason, "gen_udp:connect")
    end.

fam_of_ip(local) -> ss_err:fail(<<"EAFNOSUPPORT">>, "a Unix socket takes no IP address");
fam_of_ip(Fam) -> Fam.

sendto(Args) ->
    {_, #{sock := S, fam := Fam}} = ss_handles:socket(Args),
    Data = ss_args:data(Args),
    T = ss_args:timeout(Args),
    Send = case ss_args:get(Args, <<"host">>, str, none) of
               none -> fun() -> gen_udp:send(S, Data) end;
               Host ->
                   IP = ss_args:ip(Host, fam_of_ip(Fam)),
                   Port = ss_args:port(ss_args:get(Args, <<"port">>, int)),
                   fun() -> gen_udp:send(S, IP, Port, Data) end
           end,
    send_result(send_waiting(Send, T), Data).

send_result(ok, Data) -> #{<<"sent">> => byte_size(Data)};
send_result({error, Reason}, _) -> ss_err:throw_reason(Reason, "gen_udp:send").

%% gen_udp:send never waits: when the socket has no room it answers {error, eagain} at once
%% (inet_drv's sendto is non-blocking) and tells no one when there is room again. With a
%% timeout the adapter tries again every millisecond until it passes (then ETIMEDOUT,
%% supplied); with timeout 0 the library's eagain is the answer.
send_waiting(Send, T) ->
    send_waiting(Send, T, erlang:monotonic_time(millisecond) + T).

send_waiting(Send, T, Deadline) ->
    case Send() of
        {error, eagain} when T > 0 ->
            case erlang:monotonic_time(millisecond) >= Deadline of
                true -> ss_err:supplied(<<"ETIMEDOUT">>, "gen_udp:send answered eagain until the timeout passed");
                false -> timer:sleep(1), send_waiting(Send, T, Deadline)
            end;
        Result -> Result
    end.

recvfrom(Args) ->
    {_, #{sock := S}} = ss_handles:socket(Args),
    Max = ss_args:max(Args),
    T = ss_args:timeout(Args),
    Got = case T of
              0 -> recv_now(S);
              _ -> receive_udp(S, T)
          end,
    case Got of
        {ok, {From, Data}} ->
            maps:merge(dgram_result(Data, Max), #{<<"peer">> => ss_addr:format(From)});
        {error, timeout} when T =:= 0 ->
            ss_err:supplied(<<"EAGAIN">>, "nothing received (inet's reason: timeout)");
        {error, Reason} -> ss_err:throw_reason(Reason, "gen_udp recv")
    end.

dgram_result(Data, Max) when byte_size(Data) =< Max ->
    #{<<"data">> => base64:encode(Data), <<"truncated">> => false, <<"emulated">> => [<<"truncated">>]};
dgram_result(Data, Max) ->
    <<Now:Max/binary, _/binary>> = Data,
    #{<<"data">> => base64:encode(Now), <<"truncated">> => true, <<"emulated">> => [<<"truncated">>]}.

receive_udp(S, T) ->
    receive
        {udp, S, IP, Port, Data} -> {ok, {from(IP, Port), Data}};
        {udp_error, S, Reason} -> {error, Reason}
    after T -> {error, timeout}
    end.

%% a Unix source comes as {local, Name}, or {unspec, <<>>} when the sender is unbound
from({Family, _} = Address, _) when is_atom(Family) -> Address;
from(IP, Port) -> {IP, Port}.

%% timeout 0: as ss_tcp:recv_now/1, a passive gen_udp:recv(S, 0, 0) reads what the kernel holds.
recv_now(S) ->
    case receive_udp(S, 0) of
        {error, timeout} ->
            case inet:setopts(S, [{active, false}]) of
                ok ->
                    R = case receive_udp(S, 0) of
                            {error, timeout} ->
                                case gen_udp:recv(S, 0, 0) of
                                    {ok, {IP, Port, Data}} -> {ok, {from(IP, Port), Data}};
                                    {ok, {IP, Port, _Anc, Data}} -> {ok, {from(IP, Port), Data}};
                                    Error -> Error
                                end;
                            Got -> Got
                        end,
                    _ = inet:setopts(S, [{active, true}]),
                    R;
                Error -> Error
            end;
        Got -> Got
    end.
