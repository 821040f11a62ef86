/* status.h — chat and message status rules (pure functions).
 *
 * Chat status: New (0) → Open (1) / Waiting (2) / OnPause (3) / Closed (4).
 * A client message moves Waiting → Open and Closed → New (reopen + route
 * again); an operator message moves New/Open → Waiting. Requested changes
 * (PUT /api/chat/status, hub SetChatStatus) follow ch_chat_transition_allowed.
 * Threading: pure; any thread.
 */
#ifndef CH_CHAT_STATUS_H
#define CH_CHAT_STATUS_H

/* 1 when a principal may move a chat from `from` to `to` (same status: 1,
 * a no-op). Allowed: New/Open/Waiting/OnPause → Open/Waiting/OnPause/Closed,
 * Closed → New or Open (reopen). Anything else (e.g. Open → New, Closed →
 * Waiting, values outside 0..4) → 0, answered 409. */
int ch_chat_transition_allowed(int from, int to);

/* Status of a chat in status s after a message by author (CH_AUTHOR_*):
 * client: Waiting → Open, Closed → New, else unchanged; operator: New/Open →
 * Waiting, else unchanged; system: unchanged. */
int ch_chat_status_after_message(int s, int author);

/* 1 when a principal of this kind (CH_TOKEN_COMPANY 1, CH_TOKEN_OPERATOR 2,
 * CH_TOKEN_VISITOR 3 of auth/token.h) may request a chat status change at
 * all: the staff may, a visitor may not (its messages move the status, see
 * ch_chat_status_after_message; an explicit change is a staff decision).
 * Unknown kinds → 0. */
int ch_chat_status_requester_allowed(int principal_kind);

/* 1 when status is a valid chat status (0..4). */
int ch_chat_status_valid(int status);

#endif
