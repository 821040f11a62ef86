/* status.c — chat status rules: which requested transitions are legal and how
 * a new message moves a chat's status. Pure functions over small integers.
 * Threading: pure; any thread.
 */
#include "chat/status.h"

/* These mirror the public API values (CH_CHAT_* and CH_AUTHOR_* in
 * store/store.h, spec/api.md); chat/ links only ch_core so it cannot include
 * the store header. */
enum { ST_NEW = 0, ST_OPEN = 1, ST_WAITING = 2, ST_ON_PAUSE = 3, ST_CLOSED = 4 };
enum { AU_OPERATOR = 0, AU_CLIENT = 1, AU_SYSTEM = 2 };
/* CH_TOKEN_* of auth/token.h, mirrored for the same reason. */
enum { PK_COMPANY = 1, PK_OPERATOR = 2, PK_VISITOR = 3 };

int ch_chat_status_valid(int status)
{
	return status >= ST_NEW && status <= ST_CLOSED;
}

int ch_chat_status_requester_allowed(int principal_kind)
{
	return principal_kind == PK_COMPANY || principal_kind == PK_OPERATOR;
}

int ch_chat_transition_allowed(int from, int to)
{
	if (!ch_chat_status_valid(from) || !ch_chat_status_valid(to))
		return 0;
	if (from == to)
		return 1; /* a no-op is always fine */
	if (from == ST_CLOSED)
		return to == ST_NEW || to == ST_OPEN; /* reopen */
	return to != ST_NEW; /* nothing goes back to New except a reopen */
}

/* An invalid status or author leaves s as given: there is nothing sensible to
 * compute, and the caller validates both before storing anything. */
int ch_chat_status_after_message(int s, int author)
{
	if (!ch_chat_status_valid(s))
		return s;
	switch (author) {
	case AU_CLIENT:
		if (s == ST_WAITING)
			return ST_OPEN;
		if (s == ST_CLOSED)
			return ST_NEW; /* reopened: routed again */
		return s;
	case AU_OPERATOR:
		if (s == ST_NEW || s == ST_OPEN)
			return ST_WAITING;
		return s;
	default: /* AU_SYSTEM and unknown authors */
		return s;
	}
}
