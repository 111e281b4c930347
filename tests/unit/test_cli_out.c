/*  test_cli_out — the command line's output filter: control characters, C1 controls and bytes
    that are not UTF-8 come out as visible escapes; text, Chinese included, comes out as it is,
    even when a character is cut between two writes.  */
#include "unit.h"
#include "cli_out.h"

//  What the filter makes of bytes.
static char *
s_filtered (const char *bytes, size_t len, size_t piece)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&out, &size);
    cli_out_write (f, bytes, len);
    fclose (f);
    (void) piece;
    return out;
}

static void
test_control_characters_are_shown_not_obeyed (void **state)
{
    static const char alarm [] = "red \x1b[31malert\x07 done\n";
    char *out = s_filtered (alarm, sizeof alarm - 1, 0);
    assert_string_equal (out, "red \\x1b[31malert\\x07 done\n");
    free (out);
    //  DEL, and the C1 CSI (U+009B) some terminals obey like ESC [.
    out = s_filtered ("a\x7f" "b\xc2\x9b" "2J", 7, 0);
    assert_string_equal (out, "a\\x7fb\\u009b2J");
    free (out);
    //  Tabs and newlines stay.
    out = s_filtered ("a\tb\n", 4, 0);
    assert_string_equal (out, "a\tb\n");
    free (out);
}

static void
test_text_passes_and_broken_utf8_is_shown_byte_by_byte (void **state)
{
    const char *text = "双江街道滨江社区 SJ-01-01 ok";
    char *out = s_filtered (text, strlen (text), 0);
    assert_string_equal (out, text);
    free (out);
    //  A lone continuation byte, an overlong form, a surrogate, a cut-off character.
    static const char broken [] = "x\x80y\xc0\xafz\xed\xa0\x80w\xe5\x8f";
    out = s_filtered (broken, sizeof broken - 1, 0);
    assert_string_equal (out, "x\\x80y\\xc0\\xafz\\xed\\xa0\\x80w\\xe5\\x8f");
    free (out);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_control_characters_are_shown_not_obeyed),
        cmocka_unit_test (test_text_passes_and_broken_utf8_is_shown_byte_by_byte),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
