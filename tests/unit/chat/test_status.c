/* Unit tests of the chat status rules: the whole transition table, every
 * (status, author) pair after a message, and values outside the enums. */
#include <criterion/criterion.h>
#include <limits.h>

#include "chat/status.h"

/* Mirror the public API values (CH_CHAT_*, CH_AUTHOR_* of store/store.h). */
enum { NEW = 0, OPEN = 1, WAITING = 2, ON_PAUSE = 3, CLOSED = 4 };
enum { OPERATOR = 0, CLIENT = 1, SYSTEM = 2 };

static const int invalid[] = {-1, 5, INT_MAX, INT_MIN, 100};
#define NINVALID (sizeof invalid / sizeof invalid[0])

Test(status, valid_range)
{
	for (int s = NEW; s <= CLOSED; s++)
		cr_assert_eq(ch_chat_status_valid(s), 1, "status %d", s);
	for (size_t i = 0; i < NINVALID; i++)
		cr_assert_eq(ch_chat_status_valid(invalid[i]), 0, "status %d", invalid[i]);
}

Test(status, full_transition_table)
{
	/* expected[from][to] */
	static const int expected[5][5] = {
	    /*              NEW OPEN WAIT PAUSE CLOSED */
	    /* NEW      */ {1, 1, 1, 1, 1},
	    /* OPEN     */ {0, 1, 1, 1, 1},
	    /* WAITING  */ {0, 1, 1, 1, 1},
	    /* ON_PAUSE */ {0, 1, 1, 1, 1},
	    /* CLOSED   */ {1, 1, 0, 0, 1},
	};
	for (int from = 0; from < 5; from++)
		for (int to = 0; to < 5; to++)
			cr_assert_eq(ch_chat_transition_allowed(from, to), expected[from][to], "%d -> %d", from, to);
}

Test(status, same_status_is_a_noop_allowed)
{
	for (int s = NEW; s <= CLOSED; s++)
		cr_assert(ch_chat_transition_allowed(s, s), "%d -> %d", s, s);
}

Test(status, named_examples_of_the_header)
{
	cr_assert_not(ch_chat_transition_allowed(OPEN, NEW));
	cr_assert_not(ch_chat_transition_allowed(CLOSED, WAITING));
	cr_assert_not(ch_chat_transition_allowed(CLOSED, ON_PAUSE));
	cr_assert(ch_chat_transition_allowed(CLOSED, NEW));
	cr_assert(ch_chat_transition_allowed(CLOSED, OPEN));
	cr_assert(ch_chat_transition_allowed(ON_PAUSE, CLOSED));
}

Test(status, transitions_with_invalid_values_refused)
{
	for (size_t i = 0; i < NINVALID; i++) {
		for (int s = NEW; s <= CLOSED; s++) {
			cr_assert_eq(ch_chat_transition_allowed(invalid[i], s), 0, "%d -> %d", invalid[i], s);
			cr_assert_eq(ch_chat_transition_allowed(s, invalid[i]), 0, "%d -> %d", s, invalid[i]);
		}
		for (size_t j = 0; j < NINVALID; j++)
			cr_assert_eq(ch_chat_transition_allowed(invalid[i], invalid[j]), 0, "%d -> %d", invalid[i],
			             invalid[j]);
	}
}

Test(status, after_message_every_pair)
{
	/* expected[status][author] */
	static const int expected[5][3] = {
	    /*             OPERATOR CLIENT  SYSTEM */
	    /* NEW      */ {WAITING, NEW, NEW},
	    /* OPEN     */ {WAITING, OPEN, OPEN},
	    /* WAITING  */ {WAITING, OPEN, WAITING},
	    /* ON_PAUSE */ {ON_PAUSE, ON_PAUSE, ON_PAUSE},
	    /* CLOSED   */ {CLOSED, NEW, CLOSED},
	};
	for (int s = 0; s < 5; s++)
		for (int a = 0; a < 3; a++)
			cr_assert_eq(ch_chat_status_after_message(s, a), expected[s][a], "status %d author %d", s, a);
}

Test(status, after_message_results_are_reachable_transitions)
{
	/* A message never produces a status the table would refuse. */
	for (int s = 0; s < 5; s++)
		for (int a = 0; a < 3; a++)
			cr_assert(ch_chat_transition_allowed(s, ch_chat_status_after_message(s, a)), "status %d author %d",
			          s, a);
}

Test(status, after_message_unknown_author_leaves_status)
{
	for (size_t i = 0; i < NINVALID; i++)
		for (int s = NEW; s <= CLOSED; s++)
			cr_assert_eq(ch_chat_status_after_message(s, invalid[i]), s, "status %d author %d", s, invalid[i]);
}

Test(status, after_message_invalid_status_unchanged_and_invalid)
{
	for (size_t i = 0; i < NINVALID; i++)
		for (int a = -1; a <= 3; a++) {
			int r = ch_chat_status_after_message(invalid[i], a);
			cr_assert_eq(r, invalid[i], "status %d author %d", invalid[i], a);
			cr_assert_not(ch_chat_status_valid(r));
		}
}

/* Principal kinds mirror CH_TOKEN_* of auth/token.h. */
enum { KIND_ANY = 0, KIND_COMPANY = 1, KIND_OPERATOR = 2, KIND_VISITOR = 3 };

Test(status, only_staff_request_status_changes)
{
	cr_assert(ch_chat_status_requester_allowed(KIND_COMPANY));
	cr_assert(ch_chat_status_requester_allowed(KIND_OPERATOR));
	cr_assert_not(ch_chat_status_requester_allowed(KIND_VISITOR), "visitors cannot change a chat's status");
	cr_assert_not(ch_chat_status_requester_allowed(KIND_ANY), "no kind is no permission");
	for (size_t i = 0; i < NINVALID; i++)
		cr_assert_not(ch_chat_status_requester_allowed(invalid[i]), "kind %d", invalid[i]);
}
