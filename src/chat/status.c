/* status.c — chat status rules: which requested transitions are legal and how
 * a new message moves a chat's status. Pure functions over small integers.
 * Threading: pure; any thread.
 */
#include "chat/status.h"

#include "chat/model.h"

/* CH_TOKEN_* of auth/token.h, mirrored: auth/ sits above chat/, which
 * includes nothing from the layers over it. */
enum { PK_COMPANY = 1, PK_OPERATOR = 2, PK_VISITOR = 3 };

int ch_chat_status_valid(int status)
{
	return status >= CH_CHAT_NEW && status <= CH_CHAT_CLOSED;
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
	if (from == CH_CHAT_CLOSED)
		return to == CH_CHAT_NEW || to == CH_CHAT_OPEN; /* reopen */
	return to != CH_CHAT_NEW; /* nothing goes back to New except a reopen */
}

/* An invalid status or author leaves s as given: there is nothing sensible to
 * compute, and the caller validates both before storing anything. */
int ch_chat_status_after_message(int s, int author)
{
	if (!ch_chat_status_valid(s))
		return s;
	switch (author) {
	case CH_AUTHOR_CLIENT:
		if (s == CH_CHAT_WAITING)
			return CH_CHAT_OPEN;
		if (s == CH_CHAT_CLOSED)
			return CH_CHAT_NEW; /* reopened: routed again */
		return s;
	case CH_AUTHOR_OPERATOR:
		if (s == CH_CHAT_NEW || s == CH_CHAT_OPEN)
			return CH_CHAT_WAITING;
		return s;
	default: /* CH_AUTHOR_SYSTEM and unknown authors */
		return s;
	}
}
