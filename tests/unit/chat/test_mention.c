/* Unit tests of '@name' mentions in private notes: case, names with spaces
 * (the longest wins), word boundaries, repeats, Cyrillic, the cap. */
#include <criterion/criterion.h>

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
