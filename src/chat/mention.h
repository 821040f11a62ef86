/* mention.h — which operators a private note mentions (pure function).
 *
 * A mention is '@' followed by an operator's name, compared without regard to
 * case (ASCII, Latin-1 and Latin Extended-A, Greek and Cyrillic letters).
 * Names may hold spaces: at each '@' the longest name that matches wins. The
 * '@' must not follow a letter or digit (an e-mail address is no mention), and
 * the name must not run on into a letter or digit ("@Annabel" does not
 * mention "Anna").
 * Threading: pure; any thread.
 */
#ifndef CH_CHAT_MENTION_H
#define CH_CHAT_MENTION_H

#include <stddef.h>
#include <stdint.h>

typedef struct ch_mention_name {
	int64_t id;
	const char *name; /* UTF-8; borrowed */
} ch_mention_name;

/* The ids of the names text (valid UTF-8) mentions, distinct, in the order of
 * their first mention, at most max of them, into out; returns how many. A
 * name that is empty never matches. */
size_t ch_mentions_find(const char *text, const ch_mention_name *names, size_t n, int64_t *out, size_t max);

#endif
