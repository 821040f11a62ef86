/* search.h — private to src/store/: what the backends share of a chat search
 * (store.h, ch_chat_filter.search): the phone-number form of a search, the
 * highlighter's marks and the snippet they produce, made into the API's form. */
#ifndef CH_STORE_SEARCH_H
#define CH_STORE_SEARCH_H

#include <stddef.h>

#include "store/store.h"

/* Terms of one query at most (a word may hold several: "a-b-c"); further
 * ones are dropped. */
#define CH_SEARCH_MAX_TERMS 32

/* The highlighter's marks around a matched word: noncharacters U+FDD0 and
 * U+FDD1, which text never needs, so that a U+0002 of the text itself is
 * told apart from a mark. */
#define CH_SEARCH_OPEN "\xef\xb7\x90"
#define CH_SEARCH_CLOSE "\xef\xb7\x91"

/* When q is made only of digits, white space and + - ( ) . / with at least
 * three digits, it is a phone number: its digits go into out (cap bytes, NUL
 * included) and their count is returned. Else 0 and out = "". */
size_t ch_store_search_digits(const char *q, char *out, size_t cap);

/* out->snippet from a highlighter's text (CH_SEARCH_OPEN/CLOSE marks): the
 * marks become U+0002 / U+0003, a U+0002 or U+0003 of the text is dropped,
 * and a text longer than CH_SNIPPET_MAX is cut on a character boundary with
 * its last mark closed and "…" after it. */
void ch_store_search_snippet(ch_chat_match *out, const char *text);

/* out->snippet = the whole value (a phone) between U+0002 and U+0003. */
void ch_store_search_whole(ch_chat_match *out, const char *value);

#endif
