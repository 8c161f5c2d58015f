%% Errors: the protocol's codes, and gen_tcp/gen_udp/inet error reasons as errno names.
%%
%% inet's reasons are errno names in lower case (econnrefused, eaddrinuse, ...): those are
%% the library's own and answered as they are. The few reasons without an errno (closed,
%% timeout) get a name the adapter chooses, answered with "supplied": true (protocol 1.3).
-module(ss_err).
-export([bad/1, unsupported/1, fail/2, supplied/2, reason/2, reason/3, throw_reason/2]).

bad(Message) -> throw({op_error, <<"BADREQUEST">>, iolist_to_binary(Message), false}).
unsupported(Message) -> throw({op_error, <<"UNSUPPORTED">>, iolist_to_binary(Message), false}).
fail(Code, Message) -> throw({op_error, Code, iolist_to_binary(Message), false}).
supplied(Code, Message) -> throw({op_error, Code, iolist_to_binary(Message), true}).

%% Throw the error for Reason (what a gen_tcp/gen_udp/inet call returned in {error, Reason}).
throw_reason(Reason, Context) ->
    {Code, Message, Supplied} = reason(Reason, Context),
    throw({op_error, Code, Message, Supplied}).

reason(Reason, Context) -> reason(Reason, Context, <<"EBADF">>).

%% ClosedAs: the name for 'closed' in this context (EPIPE for a send, EBADF elsewhere).
reason(closed, Context, ClosedAs) ->
    {ClosedAs, msg(Context, "closed (inet's reason; no errno)"), true};
reason(timeout, Context, _) ->
    {<<"ETIMEDOUT">>, msg(Context, "timeout (inet's reason; no errno)"), true};
reason(Reason, Context, _) when is_atom(Reason) ->
    Name = string:uppercase(atom_to_list(Reason)),
    case Name of
        "EWOULDBLOCK" -> {<<"EAGAIN">>, msg(Context, Reason), false};
        "ENOTSUP" -> {<<"EOPNOTSUPP">>, msg(Context, Reason), false};
        [$E | _] -> {list_to_binary(Name), msg(Context, Reason), false};
        _ ->
            io:format(standard_error, "erlang adapter: unmapped reason ~p (~s)~n", [Reason, Context]),
            {<<"EINVAL">>, msg(Context, Reason), true}
    end;
reason(Reason, Context, _) ->
    io:format(standard_error, "erlang adapter: unmapped reason ~p (~s)~n", [Reason, Context]),
    {<<"EINVAL">>, msg(Context, Reason), true}.

msg(Context, Reason) ->
    iolist_to_binary(io_lib:format("~s: ~0p", [Context, Reason])).
