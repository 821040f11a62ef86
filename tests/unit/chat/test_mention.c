/* Unit tests of '@name' mentions in private notes: case, names with spaces
 * (the longest wins), word boundaries, repeats, Cyrillic, the cap. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/mention.h"

static const ch_mention_name names[] = {
    {1, "Anna"}, {2, "Anna Maria"}, {3, "Boris"}, {4, "Ольга Петрова"}, {5, "Ólafur"}, {6, ""},
};
#define N (sizeof names / sizeof names[0])

static size_t find(const char *text, int64_t *out) { return ch_mentions_find(text, names, N, out, 8); }

Test(mention, none)
{
	int64_t ids[8];
	cr_assert_eq(find("", ids), 0);
	cr_assert_eq(find("no mention here, Anna", ids), 0);
	cr_assert_eq(find("@", ids), 0);
	cr_assert_eq(find("@ Anna", ids), 0);
	cr_assert_eq(find("@Nobody", ids), 0);
}

Test(mention, case_insensitive_and_longest_name_wins)
{
	int64_t ids[8];
	cr_assert_eq(find("@anna please", ids), 1);
	cr_assert_eq(ids[0], 1);
	cr_assert_eq(find("ask @ANNA MARIA, then @boris.", ids), 2);
	cr_assert_eq(ids[0], 2);
	cr_assert_eq(ids[1], 3);
	cr_assert_eq(find("@Anna Mar is not her", ids), 1);
	cr_assert_eq(ids[0], 1);
}

Test(mention, boundaries)
{
	int64_t ids[8];
	cr_assert_eq(find("@Annabel", ids), 0, "a name runs on into a letter");
	cr_assert_eq(find("@Anna2", ids), 0);
	cr_assert_eq(find("mail boris@anna.example", ids), 0, "an e-mail address");
	cr_assert_eq(find("(@Boris)", ids), 1);
	cr_assert_eq(find("@Anna's turn", ids), 1);
	cr_assert_eq(find("@Boris\n@Anna", ids), 2);
}

Test(mention, distinct_in_order_of_first_mention)
{
	int64_t ids[8];
	cr_assert_eq(find("@Boris @Anna @boris @ANNA", ids), 2);
	cr_assert_eq(ids[0], 3);
	cr_assert_eq(ids[1], 1);
}

Test(mention, cyrillic_and_latin1_fold)
{
	int64_t ids[8];
	cr_assert_eq(find("@ольга петрова, посмотрите", ids), 1);
	cr_assert_eq(ids[0], 4);
	cr_assert_eq(find("@ОЛЬГА ПЕТРОВА", ids), 1);
	cr_assert_eq(find("@ólafur", ids), 1);
	cr_assert_eq(ids[0], 5);
	cr_assert_eq(find("@Ольга Петроваа", ids), 0);
}

Test(mention, empty_names_never_match_and_max_is_kept)
{
	int64_t ids[8];
	cr_assert_eq(find("@ and @", ids), 0);
	cr_assert_eq(ch_mentions_find("@Anna @Boris", names, N, ids, 1), 1);
	cr_assert_eq(ids[0], 1);
}

Test(mention, equal_names_give_the_first)
{
	static const ch_mention_name twins[] = {{9, "Zoe"}, {7, "ANNA"}, {1, "anna"}, {3, "Anna B"}};
	int64_t ids[4];
	cr_assert_eq(ch_mentions_find("@Anna, @anna b", twins, 4, ids, 4), 2);
	cr_assert_eq(ids[0], 7);
	cr_assert_eq(ids[1], 3);
}

/* Thousands of operators: a mention is found among them by its own length,
 * not by their number. */
Test(mention, many_names)
{
	enum { N_OPS = 5000 };
	ch_mention_name *many = calloc(N_OPS, sizeof *many);
	char (*text)[16] = calloc(N_OPS, sizeof *text);
	for (int i = 0; i < N_OPS; i++) {
		snprintf(text[i], sizeof text[i], "Agent %04d", N_OPS - 1 - i);
		many[i] = (ch_mention_name){N_OPS - i, text[i]};
	}
	int64_t ids[4];
	cr_assert_eq(ch_mentions_find("@AGENT 4321 and @agent 0007, @Agent 12", many, N_OPS, ids, 4), 2);
	cr_assert_eq(ids[0], 4322);
	cr_assert_eq(ids[1], 8);
	free(many);
	free(text);
}

/* The note is resolved on the store writer: a note of 16,384 '@' against
 * 2,000 names made of '@' (each a near match at every position) took about a
 * minute when every name was compared at every '@'. */
Test(mention, hostile_names_and_text_are_bounded, .timeout = 5)
{
	enum { N_OPS = 2000, LEN = 16384 };
	ch_mention_name *many = calloc(N_OPS, sizeof *many);
	char (*name)[260] = calloc(N_OPS, sizeof *name);
	for (int i = 0; i < N_OPS; i++) {
		memset(name[i], '@', 250);
		snprintf(name[i] + 250, 10, "%d", i);
		many[i] = (ch_mention_name){i + 1, name[i]};
	}
	char *text = malloc(LEN + 1);
	memset(text, '@', LEN);
	text[LEN] = '\0';
	int64_t ids[4];
	for (int round = 0; round < 20; round++)
		cr_assert_eq(ch_mentions_find(text, many, N_OPS, ids, 4), 0);
	free(text);
	free(many);
	free(name);
}
