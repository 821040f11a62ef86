/* mention.h — which operators a private note mentions (pure function).
 *
 * A mention is '@' followed by an operator's name, compared without regard to
 * case (ASCII, Latin-1 and Latin Extended-A, Greek and Cyrillic letters).
 * Names may hold spaces: at each '@' the longest name that matches wins. The
 * '@' must not follow a letter or digit (an e-mail address is no mention), and
 * the name must not run on into a letter or digit ("@Annabel" does not
 * mention "Anna").
 * The work is the note's length times log(names) for names of any count (the
 * note is resolved on the store writer): at each '@' the sorted names are
 * narrowed byte by byte, and after CH_MENTION_STEPS_MAX bytes walked in all
 * the rest of the text is not looked at.
 * Threading: pure; any thread.
 */
#ifndef CH_CHAT_MENTION_H
#define CH_CHAT_MENTION_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of names walked for one text at most: a real note walks a few per
 * '@'; one made of '@' against names made to share long beginnings stops here. */
#define CH_MENTION_STEPS_MAX 262144

typedef struct ch_mention_name {
	int64_t id;
	const char *name; /* UTF-8; borrowed */
} ch_mention_name;

/* The ids of the names text (valid UTF-8) mentions, distinct, in the order of
 * their first mention, at most max of them, into out; returns how many. A
 * name that is empty never matches. */
size_t ch_mentions_find(const char *text, const ch_mention_name *names, size_t n, int64_t *out, size_t max);

#endif
