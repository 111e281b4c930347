/*  test_org — gl_org: the bundled Yunyang organisation, categories and admitted-items registry
    (deploy/yunyang), the lookups and the tree, admission (事项准入), every refusal naming the
    file and the entry, and the generator (tools/gen-county.py) giving the committed files byte
    for byte.  */
#include "unit.h"
#include "gl_org.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static gl_org_t *s_org;         //  the bundled county, loaded once for the group

static int
s_setup (void **state)
{
    char org [PATH_MAX], categories [PATH_MAX], admission [PATH_MAX];
    snprintf (org, sizeof org, "%s", u_source_path ("deploy/yunyang/org.json"));
    snprintf (categories, sizeof categories, "%s",
              u_source_path ("deploy/yunyang/categories.json"));
    snprintf (admission, sizeof admission, "%s",
              u_source_path ("deploy/yunyang/admission.json"));
    gl_err_t err = { GL_OK, "" };
    s_org = gl_org_load (org, categories, admission, &err);
    if (!s_org) {
        fprintf (stderr, "cannot load the bundled county: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int
s_teardown (void **state)
{
    gl_org_destroy (&s_org);
    gl_org_destroy (&s_org);        //  safe twice
    assert_null (s_org);
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  The bundled county

static void
test_yunyang_has_242_grids_in_4_streets (void **state)
{
    assert_string_equal (gl_org_county_code (s_org), "500235");
    assert_string_equal (gl_org_county_name (s_org), "云阳县");
    assert_string_equal (gl_org_root (s_org)->id, "CTY");
    assert_int_equal (gl_org_unit_count (s_org, GL_UNIT_COUNTY), 1);
    assert_int_equal (gl_org_unit_count (s_org, GL_UNIT_STREET), 4);
    assert_int_equal (gl_org_unit_count (s_org, GL_UNIT_GRID), 242);
    assert_int_equal (gl_org_unit_count (s_org, GL_UNIT_BOARD), 16);
    assert_int_equal (gl_org_unit_count (s_org, GL_UNIT_CENTRE), 5);
    assert_int_equal (gl_org_unit_count (s_org, GL_UNIT_MEDIATION), 4);
    assert_true (gl_org_unit_count (s_org, GL_UNIT_COMMUNITY) >= 20);
    size_t sum = 0;
    for (int k = 0; k < GL_UNIT_KIND_COUNT; k++)
        sum += gl_org_unit_count (s_org, k);
    assert_int_equal (sum, gl_org_unit_count (s_org, GL_UNIT_ANY));
    const char *streets [] = { "SJ", "QL", "RH", "PL" };
    const char *names [] = { "双江街道", "青龙街道", "人和街道", "盘龙街道" };
    for (int i = 0; i < 4; i++) {
        const gl_unit_t *street = gl_org_unit (s_org, streets [i]);
        assert_non_null (street);
        assert_int_equal (street->kind, GL_UNIT_STREET);
        assert_string_equal (street->name, names [i]);
        assert_ptr_equal (street->parent, gl_org_root (s_org));
    }
}

static void
test_every_grid_sits_in_a_community_in_a_street (void **state)
{
    size_t grids = 0;
    for (size_t i = 0; i < gl_org_unit_count (s_org, GL_UNIT_ANY); i++) {
        const gl_unit_t *unit = gl_org_unit_at (s_org, i);
        assert_int_equal (unit->index, i);
        assert_ptr_equal (gl_org_unit (s_org, unit->id), unit);
        if (unit->kind != GL_UNIT_GRID)
            continue;
        grids++;
        assert_int_equal (unit->level, GL_LEVEL_GRID);
        assert_int_equal (unit->child_count, 0);
        const gl_unit_t *community = unit->parent;
        assert_int_equal (community->kind, GL_UNIT_COMMUNITY);
        assert_int_equal (community->parent->kind, GL_UNIT_STREET);
        assert_ptr_equal (gl_unit_community (unit), community);
        assert_ptr_equal (gl_unit_street (unit), community->parent);
        assert_ptr_equal (gl_org_street_of (s_org, unit->id), community->parent);
        //  Ids follow the tree: SJ-01-07 is in SJ-01, in SJ.
        assert_true (strncmp (unit->id, community->id, strlen (community->id)) == 0);
        assert_true (strncmp (unit->id, community->parent->id, 2) == 0);
    }
    assert_int_equal (grids, 242);
}

static void
test_every_grid_has_its_1_plus_3_team_and_1_to_3_helpers (void **state)
{
    size_t staff = 0;
    for (size_t i = 0; i < gl_org_unit_count (s_org, GL_UNIT_ANY); i++) {
        const gl_unit_t *grid = gl_org_unit_at (s_org, i);
        if (grid->kind != GL_UNIT_GRID)
            continue;
        size_t count;
        const gl_person_t *const *people = gl_org_people (s_org, grid->id, &count);
        size_t roles [GL_ROLE_COUNT] = { 0 };
        for (size_t p = 0; p < count; p++) {
            assert_ptr_equal (people [p]->unit, grid);
            assert_ptr_equal (gl_org_person (s_org, people [p]->id), people [p]);
            roles [people [p]->role]++;
        }
        if (roles [GL_ROLE_GRID_LEADER] != 1 || roles [GL_ROLE_GRID_WORKER] != 1
        ||  roles [GL_ROLE_GRID_WORKER_PART_TIME] != 1 || roles [GL_ROLE_GRID_INSTRUCTOR] != 1)
            fail_msg ("grid %s lacks its 1+3 team", grid->id);
        if (roles [GL_ROLE_HELPER] < 1 || roles [GL_ROLE_HELPER] > 3)
            fail_msg ("grid %s has %zu helpers", grid->id, roles [GL_ROLE_HELPER]);
        staff += count;
    }
    assert_in_range (staff, 1200, 1400);
    assert_int_equal (gl_org_person_count (s_org, GL_ROLE_GRID_LEADER), 242);
    assert_int_equal (gl_org_person_count (s_org, GL_ROLE_GRID_INSTRUCTOR), 242);
    size_t sum = 0;
    for (int r = 0; r < GL_ROLE_COUNT; r++)
        sum += gl_org_person_count (s_org, r);
    assert_int_equal (sum, gl_org_person_count (s_org, GL_ROLE_ANY));
    //  People ids: grid staff are GW-0001 …, the first being the first grid's leader.
    const gl_person_t *first = gl_org_person (s_org, "GW-0001");
    assert_non_null (first);
    assert_int_equal (first->role, GL_ROLE_GRID_LEADER);
    assert_string_equal (first->unit->id, "SJ-01-01");
}

static void
test_every_street_has_a_centre_and_the_four_boards_with_posts (void **state)
{
    const char *streets [] = { "SJ", "QL", "RH", "PL" };
    const char *suffix [GL_BOARD_COUNT] = { "B1", "B2", "B3", "B4" };
    const char *board_names [GL_BOARD_COUNT] = { "党的建设", "经济发展", "民生服务", "平安法治" };
    for (int i = 0; i < 4; i++) {
        const gl_unit_t *street = gl_org_unit (s_org, streets [i]);
        char id [16];
        snprintf (id, sizeof id, "%s-C", streets [i]);
        const gl_unit_t *centre = gl_org_centre (s_org, street);
        assert_string_equal (centre->id, id);
        assert_int_equal (centre->kind, GL_UNIT_CENTRE);
        size_t count;
        const gl_person_t *const *people = gl_org_people (s_org, id, &count);
        assert_true (count >= 2);
        assert_int_equal (people [0]->role, GL_ROLE_COMMANDER);
        for (int b = 0; b < GL_BOARD_COUNT; b++) {
            const gl_unit_t *board = gl_org_board (s_org, street, b);
            snprintf (id, sizeof id, "%s-%s", streets [i], suffix [b]);
            assert_non_null (board);
            assert_string_equal (board->id, id);
            assert_int_equal (board->board, b);
            assert_ptr_equal (board->parent, street);
            assert_non_null (strstr (board->name, board_names [b]));
            //  An A post and at least one B post.
            people = gl_org_people (s_org, id, &count);
            size_t leads = 0, staff = 0;
            for (size_t p = 0; p < count; p++) {
                leads += people [p]->role == GL_ROLE_BOARD_LEAD;
                staff += people [p]->role == GL_ROLE_BOARD_STAFF;
            }
            assert_int_equal (leads, 1);
            assert_true (staff >= 1);
        }
    }
    //  A grid reports to its street's centre.
    const gl_unit_t *grid = gl_org_unit (s_org, "PL-01-01");
    assert_ptr_equal (gl_org_centre (s_org, grid), gl_org_unit (s_org, "PL-C"));
    //  Units outside the streets report to the county's centre.
    assert_string_equal (gl_org_centre (s_org, gl_org_unit (s_org, "D-POLICE"))->id, "CTY-C");
    assert_string_equal (gl_org_centre (s_org, gl_org_root (s_org))->id, "CTY-C");
    assert_null (gl_org_board (s_org, gl_org_unit (s_org, "SJ-01"), GL_BOARD_SAFETY));
}

static void
test_departments_utilities_and_the_four_mediation_channels_exist (void **state)
{
    const char *departments [] = {
        "D-POLICE", "D-JUSTICE", "D-PETITION", "D-URBAN", "D-HOUSING", "D-ENV", "D-CIVIL",
        "D-HEALTH", "D-EMERGENCY", "D-MARKET", "D-HRSS", "D-NATRES", "D-WATER", "D-POWER",
        "D-WATERSUPPLY", "D-GAS"
    };
    for (size_t i = 0; i < sizeof departments / sizeof departments [0]; i++) {
        const gl_unit_t *unit = gl_org_unit (s_org, departments [i]);
        if (!unit)
            fail_msg ("no department %s", departments [i]);
        assert_int_equal (unit->kind, GL_UNIT_DEPARTMENT);
        assert_int_equal (unit->level, GL_LEVEL_COUNTY);
        size_t count;
        gl_org_people (s_org, unit->id, &count);
        assert_true (count >= 1);
    }
    assert_string_equal (gl_org_unit (s_org, "D-POLICE")->name, "县公安局");
    assert_string_equal (gl_org_unit (s_org, "D-HRSS")->name, "县人力社保局");
    assert_int_equal (gl_org_unit (s_org, "CTY-ASSESS")->kind, GL_UNIT_OFFICE);
    struct { gl_channel_t channel; const char *id, *owner; } channels [] = {
        { GL_CHANNEL_COURT, "M-COURT", "CTY" },
        { GL_CHANNEL_PROCURATORATE, "M-PROCURATORATE", "CTY" },
        { GL_CHANNEL_POLICE, "M-POLICE", "D-POLICE" },
        { GL_CHANNEL_PETITIONS, "M-PETITION", "D-PETITION" },
    };
    for (size_t i = 0; i < 4; i++) {
        const gl_unit_t *unit = gl_org_mediation (s_org, channels [i].channel);
        assert_non_null (unit);
        assert_string_equal (unit->id, channels [i].id);
        assert_int_equal (unit->kind, GL_UNIT_MEDIATION);
        assert_string_equal (unit->parent->id, channels [i].owner);
    }
}

static void
test_every_category_resolves_its_board_and_handlers (void **state)
{
    size_t count = gl_org_category_count (s_org);
    assert_in_range (count, 50, 70);
    bool groups [100] = { false };
    const gl_unit_t *streets [4];
    const char *ids [] = { "SJ", "QL", "RH", "PL" };
    for (int s = 0; s < 4; s++)
        streets [s] = gl_org_unit (s_org, ids [s]);
    for (size_t i = 0; i < count; i++) {
        const gl_category_t *cat = gl_org_category_at (s_org, i);
        assert_ptr_equal (gl_org_category (s_org, cat->code), cat);
        groups [(cat->code [0] - '0') * 10 + cat->code [1] - '0'] = true;
        assert_in_range (cat->board, 0, GL_BOARD_COUNT - 1);
        assert_in_range (cat->priority, 1, 4);
        assert_non_null (cat->county_handler);
        assert_int_equal (cat->county_handler->level, GL_LEVEL_COUNTY);
        for (int s = 0; s < 4; s++) {
            const gl_unit_t *handler = gl_org_street_handler (s_org, cat, streets [s]);
            if (!handler)
                fail_msg ("category %s has no handler in %s", cat->code, ids [s]);
            assert_ptr_equal (handler->parent, streets [s]);
            if (handler->kind == GL_UNIT_BOARD)
                assert_int_equal (handler->board, cat->board);
            else
                assert_int_equal (handler->kind, GL_UNIT_CENTRE);
        }
    }
    int want [] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99 };
    for (size_t i = 0; i < sizeof want / sizeof want [0]; i++)
        if (!groups [want [i]])
            fail_msg ("no category in group %02d", want [i]);
    //  DOMAIN.md section 3's named disputes.
    const char *disputes [] = { "01.01", "01.02", "01.03", "01.05", "01.06", "01.07" };
    for (size_t i = 0; i < 6; i++) {
        const gl_category_t *cat = gl_org_category (s_org, disputes [i]);
        assert_non_null (cat);
        assert_true (cat->dispute);
        assert_string_equal (cat->group, "矛盾纠纷");
        assert_int_equal (cat->board, GL_BOARD_SAFETY);
    }
    const gl_category_t *wages = gl_org_category (s_org, "01.05");
    assert_string_equal (wages->county_handler->id, "D-HRSS");
    assert_string_equal (gl_org_street_handler (s_org, wages, streets [0])->id, "SJ-B4");
    //  Emergencies go straight to the centre.
    const gl_category_t *disaster = gl_org_category (s_org, "10.01");
    assert_int_equal (disaster->priority, 1);
    assert_int_equal (disaster->matter, GL_MATTER_MAJOR);
    assert_string_equal (gl_org_street_handler (s_org, disaster, streets [1])->id, "QL-C");
    assert_null (gl_org_street_handler (s_org, disaster, gl_org_unit (s_org, "QL-01")));
}

static void
test_lookups_walk_from_grid_to_community_to_street (void **state)
{
    const gl_unit_t *grid = gl_org_unit (s_org, "QL-02-03");
    assert_non_null (grid);
    assert_string_equal (gl_org_community_of (s_org, "QL-02-03")->id, "QL-02");
    assert_string_equal (gl_org_street_of (s_org, "QL-02-03")->id, "QL");
    assert_string_equal (gl_unit_ancestor (grid, GL_UNIT_COUNTY)->id, "CTY");
    assert_ptr_equal (gl_unit_ancestor (grid, GL_UNIT_GRID), grid);
    assert_null (gl_unit_ancestor (grid, GL_UNIT_BOARD));
    //  A department has no street or community.
    assert_null (gl_org_street_of (s_org, "D-POLICE"));
    assert_null (gl_org_community_of (s_org, "SJ-B4"));
    //  Unknown ids.
    assert_null (gl_org_unit (s_org, "SJ-99-99"));
    assert_null (gl_org_unit (s_org, NULL));
    assert_null (gl_org_person (s_org, "GW-9999"));
    assert_null (gl_org_category (s_org, "42.42"));
    assert_null (gl_org_street_of (s_org, "nope"));
    //  Children, for browsing: the community's grids in order.
    size_t count;
    const gl_unit_t *const *children = gl_org_children (s_org, "QL-02", &count);
    assert_true (count >= 5);
    for (size_t i = 0; i < count; i++) {
        char id [32];
        snprintf (id, sizeof id, "QL-02-%02zu", i + 1);
        assert_string_equal (children [i]->id, id);
    }
    assert_null (gl_org_children (s_org, "QL-02-03", &count));
    assert_int_equal (count, 0);
    assert_null (gl_org_children (s_org, "nope", &count));
    assert_int_equal (count, 0);
    //  Names.
    assert_string_equal (gl_unit_kind_name (GL_UNIT_MEDIATION), "mediation");
    assert_int_equal (gl_role_lookup ("grid_worker_part_time"), GL_ROLE_GRID_WORKER_PART_TIME);
    assert_int_equal (gl_role_kind (GL_ROLE_BOARD_LEAD), GL_UNIT_BOARD);
    assert_int_equal (gl_board_lookup ("safety"), GL_BOARD_SAFETY);
    assert_int_equal (gl_board_lookup ("culture"), -1);
    assert_string_equal (gl_matter_name (GL_MATTER_PRIVATE), "private");
}

static void
test_print_tree_lists_units_and_cuts_at_the_depth (void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    assert_int_equal (gl_org_print_tree (s_org, out, "SJ-01", 1), 0);
    fclose (out);
    assert_non_null (strstr (text, "SJ-01  外滩社区  [community]"));
    assert_non_null (strstr (text, "\n  SJ-01-01  外滩社区第1网格  [grid]"));
    free (text);
    //  Depth 0 on a street: one line saying how much lies below.
    out = open_memstream (&text, &len);
    assert_int_equal (gl_org_print_tree (s_org, out, "SJ", 0), 0);
    fclose (out);
    assert_non_null (strstr (text, "units below)\n"));
    assert_ptr_equal (strchr (text, '\n'), text + len - 1);
    free (text);
    //  The whole county: every unit once.
    out = open_memstream (&text, &len);
    assert_int_equal (gl_org_print_tree (s_org, out, NULL, -1), 0);
    fclose (out);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text [i] == '\n';
    assert_int_equal (lines, gl_org_unit_count (s_org, GL_UNIT_ANY));
    free (text);
    assert_int_equal (gl_org_print_tree (s_org, stdout, "nope", 1), -1);
}

//  ---------------------------------------------------------------------------------------------
//  The admitted-items registry (事项准入)

//  00:00 China Standard Time of some days, in ms since 1970.
#define S_2023_03_01    INT64_C (1677600000000)
#define S_2025_06_01    INT64_C (1748707200000)
#define S_2026_01_01    INT64_C (1767196800000)
#define S_2026_06_01    INT64_C (1780243200000)
#define S_2028_03_01    INT64_C (1835452800000)

//  gl_org_admit with a fresh reason; returns its rc and leaves the reason in s_reason.
static char s_reason [512];

static int
s_admit (gl_org_t *org, const char *category, gl_level_t level, int64_t now)
{
    memset (s_reason, 'x', sizeof s_reason);
    return gl_org_admit (org, category, level, now, s_reason, sizeof s_reason);
}

static void
test_bundled_registry_loads_with_its_four_lists (void **state)
{
    assert_int_equal (gl_org_admission_count (s_org, GL_ADMISSION_DUTY), 7);
    assert_int_equal (gl_org_admission_count (s_org, GL_ADMISSION_ASSIST), 28);
    assert_int_equal (gl_org_admission_count (s_org, GL_ADMISSION_NEGATIVE), 6);
    assert_int_equal (gl_org_admission_count (s_org, GL_ADMISSION_CERTIFY), 3);
    assert_int_equal (gl_org_admission_count (s_org, GL_ADMISSION_ANY), 44);
    assert_int_equal (gl_org_admission_count (s_org, GL_ADMISSION_COUNT), 0);
    for (size_t i = 0; i < gl_org_admission_count (s_org, GL_ADMISSION_ANY); i++) {
        const gl_admission_t *item = gl_org_admission_at (s_org, i);
        char id [32];
        snprintf (id, sizeof id, "A-%03zu", i + 1);
        assert_string_equal (item->id, id);
        assert_ptr_equal (gl_org_admission (s_org, id), item);
        assert_int_equal (item->department->kind, GL_UNIT_DEPARTMENT);
        assert_true (item->levels != 0);
        assert_int_equal (item->levels & ~((1u << GL_LEVEL_COMMUNITY) | (1u << GL_LEVEL_GRID)),
                          0);
        assert_true (item->approved_ms < item->expires_ms);
        assert_true (strlen (item->basis) > 0);
        if (item->list != GL_ADMISSION_NEGATIVE)
            assert_true (item->category_count >= 1);
        for (size_t c = 0; c < item->category_count; c++)
            assert_ptr_equal (gl_org_category (s_org, item->categories [c]->code),
                              item->categories [c]);
    }
    assert_null (gl_org_admission_at (s_org, 44));
    assert_null (gl_org_admission (s_org, "A-999"));
    assert_null (gl_org_admission (s_org, NULL));
    const gl_admission_t *mediation = gl_org_admission (s_org, "A-001");
    assert_string_equal (mediation->name, "民间纠纷人民调解");
    assert_int_equal (mediation->list, GL_ADMISSION_DUTY);
    assert_string_equal (mediation->department->id, "D-JUSTICE");
    assert_non_null (strstr (mediation->basis, "《中华人民共和国人民调解法》"));
    assert_string_equal (mediation->approved, "2023-03-01");
    assert_int_equal (mediation->approved_ms, S_2023_03_01);
    assert_int_equal (mediation->expires_ms, S_2028_03_01);
    assert_int_equal (mediation->levels, 1u << GL_LEVEL_COMMUNITY);
    assert_string_equal (gl_admission_list_name (GL_ADMISSION_CERTIFY), "certify");
    assert_int_equal (gl_admission_list_lookup ("negative"), GL_ADMISSION_NEGATIVE);
    assert_int_equal (gl_admission_list_lookup ("optional"), -1);
}

static void
test_admitted_work_may_be_given_to_a_community_or_grid (void **state)
{
    //  Disputes are mediated by the community, and first by the grid.
    assert_int_equal (s_admit (s_org, "01.02", GL_LEVEL_COMMUNITY, S_2026_06_01), 0);
    assert_string_equal (s_reason, "A-001 民间纠纷人民调解");
    assert_int_equal (s_admit (s_org, "01.02", GL_LEVEL_GRID, S_2026_06_01), 0);
    assert_string_equal (s_reason, "A-002 矛盾纠纷排查和初步调解");
    //  Safety inspection, livelihood, emergencies, policy publicity.
    const char *both [] = { "03.01", "03.03", "03.05", "05.01", "06.07", "09.02", "10.01" };
    for (size_t i = 0; i < sizeof both / sizeof both [0]; i++)
        for (gl_level_t level = GL_LEVEL_COMMUNITY; level <= GL_LEVEL_GRID; level++)
            if (s_admit (s_org, both [i], level, S_2026_06_01))
                fail_msg ("%s at %s refused: %s", both [i], gl_level_name (level), s_reason);
    //  On the first day of approval, and on the last day before expiry.
    assert_int_equal (s_admit (s_org, "01.02", GL_LEVEL_COMMUNITY, S_2023_03_01), 0);
    assert_int_equal (s_admit (s_org, "01.02", GL_LEVEL_COMMUNITY, S_2028_03_01 - 1), 0);
    //  A certificate item admits its category too.
    assert_int_equal (s_admit (s_org, "06.05", GL_LEVEL_COMMUNITY, S_2026_06_01), 0);
    //  No reason buffer.
    assert_int_equal (gl_org_admit (s_org, "01.02", GL_LEVEL_GRID, S_2026_06_01, NULL, 0), 0);
    assert_int_equal (gl_org_admit (s_org, "05.04", GL_LEVEL_GRID, S_2026_06_01, NULL, 0), -1);
}

static void
test_negative_list_work_is_refused_with_its_basis (void **state)
{
    assert_int_equal (s_admit (s_org, "05.04", GL_LEVEL_COMMUNITY, S_2026_06_01), -1);
    assert_string_equal (s_reason, "on the negative list: 城市管理行政执法（占道经营、私搭乱建、"
                         "违规施工的查处） (社区不是行政执法主体，不得承担；执法由具有行政处罚权的"
                         "行政机关在法定职权范围内实施（《中华人民共和国行政处罚法》第十七条）)");
    assert_int_equal (s_admit (s_org, "05.05", GL_LEVEL_GRID, S_2026_06_01), -1);
    assert_non_null (strstr (s_reason, "城市管理行政执法"));
    assert_int_equal (s_admit (s_org, "03.02", GL_LEVEL_COMMUNITY, S_2026_06_01), -1);
    assert_non_null (strstr (s_reason, "on the negative list: 安全生产行政执法"));
    assert_int_equal (s_admit (s_org, "03.08", GL_LEVEL_GRID, S_2026_06_01), -1);
    assert_non_null (strstr (s_reason, "on the negative list: 市场监管行政执法"));
    assert_int_equal (s_admit (s_org, "07.02", GL_LEVEL_COMMUNITY, S_2026_06_01), -1);
    assert_non_null (strstr (s_reason, "on the negative list: 招商引资"));
    //  Every negative item's categories are refused at its levels while it is in effect.
    for (size_t i = 0; i < gl_org_admission_count (s_org, GL_ADMISSION_ANY); i++) {
        const gl_admission_t *item = gl_org_admission_at (s_org, i);
        if (item->list != GL_ADMISSION_NEGATIVE)
            continue;
        for (size_t c = 0; c < item->category_count; c++)
            for (gl_level_t level = GL_LEVEL_COMMUNITY; level <= GL_LEVEL_GRID; level++)
                if ((item->levels & (1u << level))
                &&  (s_admit (s_org, item->categories [c]->code, level, S_2026_06_01) != -1
                ||   !strstr (s_reason, item->name)))
                    fail_msg ("%s at %s: \"%s\"", item->categories [c]->code,
                              gl_level_name (level), s_reason);
    }
}

static void
test_work_not_on_the_registry_is_refused (void **state)
{
    //  99 其他 and the utilities' faults are for the street's centre.
    assert_int_equal (s_admit (s_org, "99.01", GL_LEVEL_COMMUNITY, S_2026_06_01), -1);
    assert_string_equal (s_reason, "not on the admitted-items registry for communities: ask the "
                         "street centre to handle it or register the matter");
    assert_int_equal (s_admit (s_org, "06.08", GL_LEVEL_GRID, S_2026_06_01), -1);
    assert_string_equal (s_reason, "not on the admitted-items registry for grids: ask the street "
                         "centre to handle it or register the matter");
    //  Before the registry's first approval nothing is admitted yet.
    assert_int_equal (s_admit (s_org, "01.02", GL_LEVEL_COMMUNITY, S_2023_03_01 - 1), -1);
    assert_string_equal (s_reason, "item A-001 民间纠纷人民调解 takes effect on 2023-03-01");
    //  An unknown category.
    assert_int_equal (s_admit (s_org, "42.42", GL_LEVEL_COMMUNITY, S_2026_06_01), -1);
    assert_string_equal (s_reason, "unknown category '42.42'");
    assert_int_equal (s_admit (s_org, NULL, GL_LEVEL_GRID, S_2026_06_01), -1);
    //  A reason cut to the buffer.
    char small [12];
    assert_int_equal (gl_org_admit (s_org, "99.01", GL_LEVEL_COMMUNITY, S_2026_06_01, small,
                                    sizeof small), -1);
    assert_string_equal (small, "not on the ");
    //  A quoted legal basis too long for the buffer is shortened; the sentence still closes.
    char part [120];
    assert_int_equal (gl_org_admit (s_org, "05.05", GL_LEVEL_COMMUNITY, S_2026_06_01, part,
                                    sizeof part), -1);
    size_t len = strlen (part);
    assert_true (len < sizeof part && len > 4);
    assert_string_equal (part + len - 4, "…)");
    assert_non_null (strstr (part, "on the negative list: "));
}

static void
test_expired_items_no_longer_admit (void **state)
{
    //  The 助企 pilot ran from 2023-03-01 until 2026-01-01.
    assert_int_equal (s_admit (s_org, "07.01", GL_LEVEL_COMMUNITY, S_2025_06_01), 0);
    assert_string_equal (s_reason, "A-044 助企服务诉求收集和转办（试点）");
    assert_int_equal (s_admit (s_org, "07.01", GL_LEVEL_COMMUNITY, S_2026_01_01 - 1), 0);
    assert_int_equal (s_admit (s_org, "07.01", GL_LEVEL_COMMUNITY, S_2026_01_01), -1);
    assert_string_equal (s_reason, "item A-044 助企服务诉求收集和转办（试点） expired on "
                         "2026-01-01");
    assert_int_equal (s_admit (s_org, "07.01", GL_LEVEL_COMMUNITY, S_2026_06_01), -1);
    assert_non_null (strstr (s_reason, "expired on 2026-01-01"));
    //  And the five-year items, once past their expiry.
    assert_int_equal (s_admit (s_org, "01.02", GL_LEVEL_COMMUNITY, S_2028_03_01), -1);
    assert_string_equal (s_reason, "item A-001 民间纠纷人民调解 expired on 2028-03-01");
}

static void
test_work_admitted_at_one_level_only_is_refused_at_the_other (void **state)
{
    //  Wage disputes: the community helps D-HRSS; a grid is not given them.
    assert_int_equal (s_admit (s_org, "01.05", GL_LEVEL_COMMUNITY, S_2026_06_01), 0);
    assert_int_equal (s_admit (s_org, "01.05", GL_LEVEL_GRID, S_2026_06_01), -1);
    assert_string_equal (s_reason, "not on the admitted-items registry for grids: item A-008 "
                         "协助调解劳资纠纷（欠薪线索收集） admits it for communities only");
    assert_int_equal (s_admit (s_org, "01.04", GL_LEVEL_GRID, S_2026_06_01), -1);
    assert_non_null (strstr (s_reason, "A-001"));
    //  Other tiers are not subject to admission, not even for negative-list work.
    for (gl_level_t level = GL_LEVEL_COUNTY; level <= GL_LEVEL_STREET; level++) {
        assert_int_equal (s_admit (s_org, "05.04", level, S_2026_06_01), 0);
        assert_string_equal (s_reason, "");
        assert_int_equal (s_admit (s_org, "99.01", level, S_2026_06_01), 0);
    }
    assert_int_equal (s_admit (s_org, "05.04", GL_LEVEL_COUNT, S_2026_06_01), 0);
    assert_int_equal (s_admit (s_org, "05.04", (gl_level_t) -1, S_2026_06_01), 0);
}

static void
test_every_verdict_names_its_item (void **state)
{
    //  Over every category and both levels: admitted names an item that covers it there.
    size_t admitted = 0, refused = 0;
    for (size_t i = 0; i < gl_org_category_count (s_org); i++) {
        const gl_category_t *cat = gl_org_category_at (s_org, i);
        for (gl_level_t level = GL_LEVEL_COMMUNITY; level <= GL_LEVEL_GRID; level++) {
            if (s_admit (s_org, cat->code, level, S_2026_06_01)) {
                assert_true (strlen (s_reason) > 0);
                refused++;
                continue;
            }
            admitted++;
            char id [8];
            snprintf (id, sizeof id, "%.5s", s_reason);
            const gl_admission_t *item = gl_org_admission (s_org, id);
            if (!item)
                fail_msg ("%s at %s: reason \"%s\" names no item", cat->code,
                          gl_level_name (level), s_reason);
            assert_int_not_equal (item->list, GL_ADMISSION_NEGATIVE);
            assert_true (item->levels & (1u << level));
            bool covers = false;
            for (size_t c = 0; c < item->category_count; c++)
                covers |= item->categories [c] == cat;
            assert_true (covers);
        }
    }
    //  Most work reaches the communities; a good part stays with the departments.
    assert_in_range (admitted, 80, 110);
    assert_in_range (refused, 20, 50);
}

//  ---------------------------------------------------------------------------------------------
//  Refusals: a small valid county, then one thing wrong at a time.

static const char *s_base_org =
    "{\"county\": {\"code\": \"500235\", \"name\": \"测试县\"},\n"
    " \"units\": [\n"
    "  {\"id\": \"CTY\", \"name\": \"县\", \"kind\": \"county\", \"parent\": null, "
    "\"level\": \"county\"},\n"
    "  {\"id\": \"CTY-C\", \"name\": \"县中心\", \"kind\": \"centre\", \"parent\": \"CTY\", "
    "\"level\": \"county\"},\n"
    "  {\"id\": \"D-X\", \"name\": \"县某局\", \"kind\": \"department\", \"parent\": \"CTY\", "
    "\"level\": \"county\"},\n"
    "  {\"id\": \"M-C\", \"name\": \"诉调\", \"kind\": \"mediation\", \"parent\": \"CTY\", "
    "\"level\": \"county\", \"channel\": \"court\"},\n"
    "  {\"id\": \"S1\", \"name\": \"街道\", \"kind\": \"street\", \"parent\": \"CTY\", "
    "\"level\": \"street\"},\n"
    "  {\"id\": \"S1-C\", \"name\": \"中心\", \"kind\": \"centre\", \"parent\": \"S1\", "
    "\"level\": \"street\"},\n"
    "  {\"id\": \"S1-B1\", \"name\": \"党建\", \"kind\": \"board\", \"parent\": \"S1\", "
    "\"level\": \"street\", \"board\": \"party\"},\n"
    "  {\"id\": \"S1-B2\", \"name\": \"经济\", \"kind\": \"board\", \"parent\": \"S1\", "
    "\"level\": \"street\", \"board\": \"economy\"},\n"
    "  {\"id\": \"S1-B3\", \"name\": \"民生\", \"kind\": \"board\", \"parent\": \"S1\", "
    "\"level\": \"street\", \"board\": \"livelihood\"},\n"
    "  {\"id\": \"S1-B4\", \"name\": \"平安\", \"kind\": \"board\", \"parent\": \"S1\", "
    "\"level\": \"street\", \"board\": \"safety\"},\n"
    "  {\"id\": \"S1-01\", \"name\": \"社区\", \"kind\": \"community\", \"parent\": \"S1\", "
    "\"level\": \"community\"},\n"
    "  {\"id\": \"S1-01-01\", \"name\": \"网格\", \"kind\": \"grid\", \"parent\": \"S1-01\", "
    "\"level\": \"grid\"}\n"
    " ],\n"
    " \"people\": [\n"
    "  {\"id\": \"P-1\", \"name\": \"张三\", \"role\": \"grid_leader\", \"unit\": \"S1-01-01\"},\n"
    "  {\"id\": \"P-2\", \"name\": \"李四\", \"role\": \"commander\", \"unit\": \"S1-C\"}\n"
    " ]}\n";

static const char *s_base_categories =
    "{\"categories\": [\n"
    "  {\"code\": \"01.01\", \"name\": \"婚姻家庭纠纷\", \"group\": \"矛盾纠纷\", "
    "\"board\": \"safety\", \"handler\": {\"grid\": \"grid_leader\", "
    "\"community\": \"community_staff\", \"street\": \"B4\", \"county\": \"D-X\"}, "
    "\"priority\": \"P3\", \"sanshi\": \"private\", \"dispute\": true},\n"
    "  {\"code\": \"10.01\", \"name\": \"自然灾害\", \"group\": \"突发事件\", "
    "\"board\": \"safety\", \"handler\": {\"grid\": \"grid\", \"community\": \"community\", "
    "\"street\": \"C\", \"county\": \"CTY-C\"}, "
    "\"priority\": \"P1\", \"sanshi\": \"major\", \"dispute\": false}\n"
    " ]}\n";

//  Duty 01.01 for the community; 10.01 on the negative list, and a certificate for it that
//  expired the day the negative item took effect (adjacent periods do not overlap).
static const char *s_base_admission =
    "{\"items\": [\n"
    "  {\"id\": \"A-1\", \"name\": \"调解\", \"list\": \"duty\", \"categories\": [\"01.01\"], "
    "\"levels\": [\"community\"], \"department\": \"D-X\", \"basis\": \"某法\", "
    "\"approved\": \"2023-03-01\", \"expires\": \"2028-03-01\"},\n"
    "  {\"id\": \"A-2\", \"name\": \"执法\", \"list\": \"negative\", \"categories\": "
    "[\"10.01\"], \"levels\": [\"community\", \"grid\"], \"department\": \"D-X\", "
    "\"basis\": \"不是执法主体\", \"approved\": \"2023-03-01\", \"expires\": \"2028-03-01\"},\n"
    "  {\"id\": \"A-3\", \"name\": \"旧证明\", \"list\": \"certify\", \"categories\": "
    "[\"10.01\"], \"levels\": [\"community\"], \"department\": \"D-X\", \"basis\": \"某办法\", "
    "\"approved\": \"2020-02-29\", \"expires\": \"2023-03-01\"}\n"
    " ]}\n";

typedef enum { S_SET, S_DELETE, S_APPEND, S_REMOVE, S_RAW } s_op_t;
typedef enum { S_ORG, S_CATEGORIES, S_ADMISSION } s_file_t;

typedef struct {
    int file;                   //  the file changed: S_ORG (false), S_CATEGORIES (true) …
    const char *list;           //  "units", "people", "categories", "items", or NULL for the
                                //  top level
    int index;                  //  entry in list (S_SET, S_DELETE, S_REMOVE)
    s_op_t op;                  //  what to do
    const char *key;            //  S_SET / S_DELETE: the key ("handler.street": nested)
    const char *value;          //  S_SET: JSON text; S_APPEND: the entry; S_RAW: the file
    const char *words [4];      //  the message must contain each
} s_case_t;

static const s_case_t s_cases [] = {
    //  The files themselves.
    { false, NULL, 0, S_RAW, NULL, "{\"units\": [", { "not valid JSON", "line 1" } },
    { false, NULL, 0, S_RAW, NULL, "[1, 2]", { "top level must be a JSON object" } },
    { true, NULL, 0, S_RAW, NULL, "{\"categories\": 7}", { "'categories' must be an array" } },
    { false, NULL, 0, S_SET, "extra", "1", { "unknown key 'extra'", "county, units, people" } },
    { false, NULL, 0, S_DELETE, "people", NULL, { "'people' is missing" } },
    { false, NULL, 0, S_SET, "county", "{\"code\": \"5002\", \"name\": \"x\"}",
      { "county: ", "6-digit" } },
    //  Who may act (岗位权限).
    { false, NULL, 0, S_SET, "actions",
      "[{\"op\": \"sign\", \"unit\": \"board\", \"roles\": [\"grid_leader\"]}]",
      { "actions[0]", "roles[0] is grid_leader, who works in a grid, not in a board" } },
    { false, NULL, 0, S_SET, "actions",
      "[{\"op\": \"sign\", \"unit\": \"board\", \"roles\": [\"mayor\"]}]",
      { "actions[0]", "roles[0] is \"mayor\": not a role" } },
    { false, NULL, 0, S_SET, "actions",
      "[{\"op\": \"sign\", \"unit\": \"board\", \"roles\": [\"board_lead\"]}, "
      "{\"op\": \"sign\", \"unit\": \"board\", \"roles\": [\"board_staff\"]}]",
      { "actions[1]", "actions[0] already says who in a board may sign" } },
    { false, NULL, 0, S_SET, "actions",
      "[{\"op\": \"sign\", \"unit\": \"board\", \"roles\": []}]", { "actions[0]", "roles" } },
    //  Units.
    { false, "units", 11, S_SET, "id", "\"S1-01\"",
      { "units[11] 'S1-01'", "duplicate id", "units[10]" } },
    { false, "units", 11, S_SET, "id", "\"S1 01 01\"",
      { "units[11] 'S1 01 01'", "ids use only" } },
    { false, "units", 2, S_SET, "id", "\"D.X\"", { "units[2] 'D.X'", "'-' and '_'" } },
    { false, "units", 11, S_SET, "parent", "\"S1-99\"",
      { "units[11] 'S1-01-01'", "parent 'S1-99' is not a unit" } },
    { false, "units", 11, S_SET, "parent", "\"S1\"",
      { "units[11] 'S1-01-01'", "parent of a grid must be of kind community",
        "'S1' is of kind street" } },
    { false, "units", 10, S_SET, "parent", "\"CTY\"",
      { "units[10] 'S1-01'", "parent of a community must be of kind street" } },
    { false, "units", 11, S_SET, "kind", "\"village\"",
      { "units[11] 'S1-01-01'", "'kind' is \"village\"", "county|street|community|grid" } },
    { false, "units", 11, S_SET, "level", "\"street\"",
      { "units[11] 'S1-01-01'", "kind grid cannot be at level street" } },
    { false, "units", 2, S_SET, "level", "\"planet\"", { "units[2] 'D-X'", "'level'" } },
    { false, "units", 11, S_DELETE, "name", NULL, { "units[11] 'S1-01-01'", "'name' is missing" } },
    { false, "units", 11, S_SET, "name", "\"\"", { "units[11] 'S1-01-01'", "'name' is empty" } },
    { false, "units", 11, S_SET, "name", "7", { "'name' must be a string" } },
    { false, "units", 11, S_DELETE, "parent", NULL,
      { "units[11] 'S1-01-01'", "'parent' is missing" } },
    { false, "units", 11, S_SET, "colour", "\"red\"",
      { "units[11] 'S1-01-01'", "unknown key 'colour'" } },
    { false, "units", 2, S_SET, "parent", "null",
      { "units[2] 'D-X'", "only the county has no parent" } },
    { false, "units", 0, S_SET, "parent", "\"D-X\"",
      { "units[0] 'CTY'", "the county must have parent null" } },
    { false, "units", 2, S_SET, "parent", "\"S1\"",
      { "units[2] 'D-X'", "works at its parent's level" } },
    { false, "units", 2, S_SET, "parent", "\"D-X\"", { "units[2] 'D-X'", "its parent is itself" } },
    { false, "units", 7, S_REMOVE, NULL, NULL, { "'S1'", "no economy board" } },
    { false, "units", 5, S_REMOVE, NULL, NULL, { "'S1'", "no command centre" } },
    { false, "units", 1, S_REMOVE, NULL, NULL, { "'CTY'", "no command centre" } },
    { false, "units", 7, S_SET, "board", "\"party\"",
      { "units[7] 'S1-B2'", "already has a party board, 'S1-B1'" } },
    { false, "units", 7, S_SET, "board", "\"culture\"",
      { "units[7] 'S1-B2'", "party|economy|livelihood|safety" } },
    { false, "units", 7, S_DELETE, "board", NULL, { "units[7] 'S1-B2'", "'board' is missing" } },
    { false, "units", 2, S_SET, "board", "\"party\"",
      { "units[2] 'D-X'", "only for units of kind board" } },
    { false, "units", 3, S_DELETE, "channel", NULL, { "units[3] 'M-C'", "'channel' is missing" } },
    { false, "units", 3, S_SET, "channel", "\"church\"",
      { "units[3] 'M-C'", "court|procuratorate|police|petitions" } },
    { false, "units", 6, S_SET, "parent", "\"S1-01\"",
      { "units[6] 'S1-B1'", "parent of a board must be of kind street" } },
    { false, "units", 0, S_REMOVE, NULL, NULL,
      { "units[0] 'CTY-C'", "parent 'CTY' is not a unit" } },
    //  People.
    { false, "people", 0, S_SET, "unit", "\"NOPE\"",
      { "people[0] 'P-1'", "unit 'NOPE' is not a unit" } },
    { false, "people", 0, S_SET, "unit", "\"S1-C\"",
      { "people[0] 'P-1'", "role grid_leader works in a unit of kind grid",
        "'S1-C' is of kind centre" } },
    { false, "people", 0, S_SET, "role", "\"mayor\"",
      { "people[0] 'P-1'", "'role' is \"mayor\"", "grid_leader|" } },
    { false, "people", 1, S_SET, "id", "\"P-1\"",
      { "people[1] 'P-1'", "duplicate id: people[0]" } },
    { false, "people", 1, S_SET, "phone", "\"123\"", { "people[1] 'P-2'", "unknown key 'phone'" } },
    { false, "people", 1, S_APPEND, NULL, "\"P-3\"", { "people[2]", "must be an object" } },
    //  Categories.
    { true, "categories", 0, S_SET, "code", "\"1.5\"", { "categories[0]", "expected LL.SS" } },
    { true, "categories", 0, S_SET, "code", "\"01-01\"", { "categories[0]", "expected LL.SS" } },
    { true, "categories", 1, S_SET, "code", "\"01.01\"",
      { "categories[1] '01.01'", "duplicate code: categories[0]" } },
    { true, "categories", 0, S_SET, "board", "\"culture\"",
      { "categories[0] '01.01'", "'board' is \"culture\"" } },
    { true, "categories", 0, S_SET, "priority", "\"P5\"",
      { "categories[0] '01.01'", "P1|P2|P3|P4" } },
    { true, "categories", 0, S_SET, "sanshi", "\"big\"",
      { "categories[0] '01.01'", "major|minor|private" } },
    { true, "categories", 0, S_SET, "dispute", "\"yes\"",
      { "categories[0] '01.01'", "'dispute' must be true or false" } },
    { true, "categories", 1, S_SET, "code", "\"01.02\"",
      { "categories[1] '01.02'", "category 01.01 calls group 01 \"矛盾纠纷\"" } },
    { true, "categories", 0, S_DELETE, "handler", NULL,
      { "categories[0] '01.01'", "'handler' is missing" } },
    { true, "categories", 0, S_SET, "handler.county", "\"D-NOPE\"",
      { "categories[0] '01.01'", "handler 'county' 'D-NOPE' is not a unit" } },
    { true, "categories", 0, S_SET, "handler.county", "\"S1-B4\"",
      { "categories[0] '01.01'", "expected a county-level" } },
    { true, "categories", 0, S_SET, "handler.street", "\"B9\"",
      { "categories[0] '01.01'", "'S1-B9' is not a board of street 'S1'" } },
    { true, "categories", 0, S_SET, "handler.street", "\"B1\"",
      { "categories[0] '01.01'", "is the party board", "board is safety" } },
    { true, "categories", 0, S_SET, "handler.grid", "\"commander\"",
      { "categories[0] '01.01'", "handler 'grid'", "grid|grid_leader|" } },
    { true, "categories", 0, S_SET, "handler.community", "\"grid_worker\"",
      { "categories[0] '01.01'", "handler 'community'", "community|community_staff" } },
    { true, "categories", 0, S_SET, "handler.mayor", "\"x\"",
      { "categories[0] '01.01'", "unknown key 'mayor'" } },
    //  The registry.
    { S_ADMISSION, NULL, 0, S_RAW, NULL, "{\"items\": [", { "not valid JSON" } },
    { S_ADMISSION, NULL, 0, S_RAW, NULL, "{\"items\": []}", { "'items' is empty" } },
    { S_ADMISSION, NULL, 0, S_RAW, NULL, "{\"list\": []}", { "unknown key 'list'", "items" } },
    { S_ADMISSION, NULL, 0, S_RAW, NULL, "{}", { "'items' is missing" } },
    { S_ADMISSION, "items", 1, S_SET, "id", "\"A-1\"",
      { "items[1] 'A-1'", "duplicate id: items[0]" } },
    { S_ADMISSION, "items", 0, S_SET, "id", "\"A 1\"", { "items[0] 'A 1'", "ids use only" } },
    { S_ADMISSION, "items", 0, S_SET, "list", "\"optional\"",
      { "items[0] 'A-1'", "'list' is \"optional\"", "duty|assist|negative|certify" } },
    { S_ADMISSION, "items", 0, S_DELETE, "list", NULL, { "items[0] 'A-1'", "'list' is missing" } },
    { S_ADMISSION, "items", 0, S_SET, "categories", "[\"42.42\"]",
      { "items[0] 'A-1'", "category '42.42' is not in the categories file" } },
    { S_ADMISSION, "items", 0, S_SET, "categories", "[\"01.01\", \"01.01\"]",
      { "items[0] 'A-1'", "'categories' lists 01.01 twice" } },
    { S_ADMISSION, "items", 0, S_SET, "categories", "[]",
      { "items[0] 'A-1'", "'categories' is empty" } },
    { S_ADMISSION, "items", 0, S_SET, "categories", "\"01.01\"",
      { "items[0] 'A-1'", "'categories' must be an array of strings" } },
    { S_ADMISSION, "items", 0, S_SET, "categories", "[101]",
      { "items[0] 'A-1'", "'categories'[0] must be a string" } },
    { S_ADMISSION, "items", 0, S_SET, "levels", "[\"street\"]",
      { "items[0] 'A-1'", "'levels' has \"street\"", "community|grid" } },
    { S_ADMISSION, "items", 0, S_SET, "levels", "[\"grid\", \"planet\"]",
      { "items[0] 'A-1'", "'levels' has \"planet\"" } },
    { S_ADMISSION, "items", 0, S_SET, "levels", "[\"grid\", \"grid\"]",
      { "items[0] 'A-1'", "'levels' lists grid twice" } },
    { S_ADMISSION, "items", 0, S_SET, "levels", "[]", { "items[0] 'A-1'", "'levels' is empty" } },
    { S_ADMISSION, "items", 0, S_SET, "department", "\"D-NOPE\"",
      { "items[0] 'A-1'", "department 'D-NOPE' is not a unit" } },
    { S_ADMISSION, "items", 0, S_SET, "department", "\"S1-01\"",
      { "items[0] 'A-1'", "department 'S1-01' is of kind community", "kind department" } },
    { S_ADMISSION, "items", 0, S_DELETE, "basis", NULL,
      { "items[0] 'A-1'", "'basis' is missing" } },
    { S_ADMISSION, "items", 0, S_SET, "approved", "\"2023-02-30\"",
      { "items[0] 'A-1'", "'approved' is \"2023-02-30\"", "YYYY-MM-DD" } },
    { S_ADMISSION, "items", 0, S_SET, "approved", "\"2023/03/01\"",
      { "items[0] 'A-1'", "'approved' is \"2023/03/01\"" } },
    { S_ADMISSION, "items", 0, S_SET, "expires", "\"2028-3-1\"",
      { "items[0] 'A-1'", "'expires' is \"2028-3-1\"" } },
    { S_ADMISSION, "items", 0, S_SET, "expires", "\"2027-02-29\"",
      { "items[0] 'A-1'", "'expires' is \"2027-02-29\"" } },
    { S_ADMISSION, "items", 0, S_SET, "expires", "20280301", { "'expires' must be a string" } },
    { S_ADMISSION, "items", 0, S_DELETE, "expires", NULL,
      { "items[0] 'A-1'", "'expires' is missing" } },
    { S_ADMISSION, "items", 0, S_SET, "expires", "\"2023-03-01\"",
      { "items[0] 'A-1'", "'expires' 2023-03-01 is not after 'approved' 2023-03-01" } },
    { S_ADMISSION, "items", 0, S_SET, "owner", "\"x\"",
      { "items[0] 'A-1'", "unknown key 'owner'" } },
    { S_ADMISSION, "items", 0, S_APPEND, NULL, "\"A-4\"", { "items[3]", "must be an object" } },
    //  Admitted and forbidden at once: 10.01 for the community while A-2 forbids it.
    { S_ADMISSION, "items", 0, S_SET, "categories", "[\"10.01\"]",
      { "items[1] 'A-2'", "forbids 10.01 at level community", "items[0] 'A-1' admits it",
        "overlapping period" } },
    { S_ADMISSION, "items", 2, S_SET, "expires", "\"2023-03-02\"",
      { "items[2] 'A-3'", "admits 10.01 at level community",
        "items[1] 'A-2' on the negative list forbids it" } },
};

static void
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    assert_int_equal (fwrite (text, 1, strlen (text), file), strlen (text));
    assert_int_equal (fclose (file), 0);
}

//  Apply one case to a parsed copy of the base file it concerns.
static void
s_mutate (json_t *root, const s_case_t *c)
{
    json_t *target = root;
    if (c->list) {
        json_t *list = json_object_get (root, c->list);
        assert_non_null (list);
        if (c->op == S_APPEND) {
            json_t *entry = json_loads (c->value, JSON_DECODE_ANY, NULL);
            assert_non_null (entry);
            assert_int_equal (json_array_append_new (list, entry), 0);
            return;
        }
        if (c->op == S_REMOVE) {
            assert_int_equal (json_array_remove (list, c->index), 0);
            return;
        }
        target = json_array_get (list, c->index);
        assert_non_null (target);
    }
    const char *key = c->key;
    const char *dot = strchr (key, '.');
    char head [32];
    if (dot) {
        snprintf (head, sizeof head, "%.*s", (int) (dot - key), key);
        target = json_object_get (target, head);
        assert_non_null (target);
        key = dot + 1;
    }
    if (c->op == S_DELETE)
        assert_int_equal (json_object_del (target, key), 0);
    else {
        json_t *value = json_loads (c->value, JSON_DECODE_ANY, NULL);
        assert_non_null (value);
        assert_int_equal (json_object_set_new (target, key, value), 0);
    }
}

static void
test_the_files_contents_load_as_the_files_do (void **state)
{
    gl_err_t err = { GL_OK, "" };
    gl_org_t *small = gl_org_load_text (s_base_org, s_base_categories, s_base_admission, &err);
    if (!small)
        fail_msg ("%s", err.message);
    assert_int_equal (gl_org_unit_count (small, GL_UNIT_GRID), 1);
    assert_int_equal (gl_org_admission_count (small, GL_ADMISSION_ANY), 3);
    gl_org_destroy (&small);
    small = gl_org_load_text (s_base_org, s_base_categories, NULL, &err);
    assert_non_null (small);
    assert_int_equal (gl_org_admission_count (small, GL_ADMISSION_ANY), 0);
    gl_org_destroy (&small);
    assert_null (gl_org_load_text (s_base_org, "{\"categories\": [", NULL, &err));
    assert_int_equal (err.code, GL_INVALID);
    assert_non_null (strstr (err.message, "categories.json: not valid JSON"));
}

static void
test_the_small_county_used_for_refusals_loads (void **state)
{
    char dir [] = "/tmp/gl-test-org-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char org [PATH_MAX], categories [PATH_MAX], admission [PATH_MAX];
    snprintf (org, sizeof org, "%s/org.json", dir);
    snprintf (categories, sizeof categories, "%s/categories.json", dir);
    snprintf (admission, sizeof admission, "%s/admission.json", dir);
    s_write (org, s_base_org);
    s_write (categories, s_base_categories);
    s_write (admission, s_base_admission);
    gl_err_t err = { GL_OK, "" };
    gl_org_t *small = gl_org_load (org, categories, admission, &err);
    if (!small)
        fail_msg ("%s", err.message);
    assert_int_equal (gl_org_unit_count (small, GL_UNIT_ANY), 12);
    assert_int_equal (gl_org_person_count (small, GL_ROLE_ANY), 2);
    assert_int_equal (gl_org_category_count (small), 2);
    const gl_category_t *disaster = gl_org_category (small, "10.01");
    assert_string_equal (gl_org_street_handler (small, disaster, gl_org_unit (small, "S1"))->id,
                         "S1-C");
    assert_string_equal (disaster->county_handler->id, "CTY-C");
    assert_int_equal (gl_org_admission_count (small, GL_ADMISSION_ANY), 3);
    assert_int_equal (s_admit (small, "01.01", GL_LEVEL_COMMUNITY, S_2026_06_01), 0);
    assert_int_equal (s_admit (small, "01.01", GL_LEVEL_GRID, S_2026_06_01), -1);
    assert_int_equal (s_admit (small, "10.01", GL_LEVEL_COMMUNITY, S_2026_06_01), -1);
    assert_string_equal (s_reason, "on the negative list: 执法 (不是执法主体)");
    //  The certificate for 10.01 until the negative item took effect (2020-02-29: a leap day).
    assert_int_equal (s_admit (small, "10.01", GL_LEVEL_COMMUNITY, S_2023_03_01 - 1), 0);
    assert_string_equal (s_reason, "A-3 旧证明");
    assert_int_equal (gl_org_admission (small, "A-3")->approved_ms,
                      S_2023_03_01 - 1096 * INT64_C (86400000));
    gl_org_destroy (&small);
    //  Without a registry (NULL or ""), everything is admitted everywhere.
    for (int run = 0; run < 2; run++) {
        small = gl_org_load (org, categories, run? "": NULL, &err);
        if (!small)
            fail_msg ("%s", err.message);
        assert_int_equal (gl_org_admission_count (small, GL_ADMISSION_ANY), 0);
        assert_null (gl_org_admission_at (small, 0));
        assert_int_equal (s_admit (small, "10.01", GL_LEVEL_GRID, S_2026_06_01), 0);
        assert_string_equal (s_reason, "");
        assert_int_equal (s_admit (small, "42.42", GL_LEVEL_COMMUNITY, S_2026_06_01), 0);
        gl_org_destroy (&small);
    }
    unlink (org);
    unlink (categories);
    unlink (admission);
    rmdir (dir);
}

//  Write the base files with the changes (the last, or only, names the file that is wrong),
//  load, and check the refusal starts with that file and names every word of the last change.
static void
s_expect_refused (const char *dir, const s_case_t *changes, size_t count, size_t number)
{
    char org [PATH_MAX], categories [PATH_MAX], admission [PATH_MAX];
    snprintf (org, sizeof org, "%s/org.json", dir);
    snprintf (categories, sizeof categories, "%s/categories.json", dir);
    snprintf (admission, sizeof admission, "%s/admission.json", dir);
    const s_case_t *c = &changes [count - 1];
    const char *files [] = { org, categories, admission };
    const char *bases [] = { s_base_org, s_base_categories, s_base_admission };
    const char *file = files [c->file];
    s_write (org, s_base_org);
    s_write (categories, s_base_categories);
    s_write (admission, s_base_admission);
    if (c->op == S_RAW)
        s_write (file, c->value);
    else {
        json_t *root = json_loads (bases [c->file], 0, NULL);
        assert_non_null (root);
        for (size_t i = 0; i < count; i++)
            s_mutate (root, &changes [i]);
        assert_int_equal (json_dump_file (root, file, 0), 0);
        json_decref (root);
    }
    gl_err_t err = { GL_OK, "" };
    gl_org_t *bad = gl_org_load (org, categories, admission, &err);
    if (bad)
        fail_msg ("case %zu was accepted (first expected words: %s)", number, c->words [0]);
    assert_int_equal (err.code, GL_INVALID);
    if (strncmp (err.message, file, strlen (file)) != 0)
        fail_msg ("case %zu: \"%s\" does not start with %s", number, err.message, file);
    for (int w = 0; w < 4 && c->words [w]; w++)
        if (!strstr (err.message, c->words [w]))
            fail_msg ("case %zu: \"%s\" does not contain \"%s\"", number, err.message,
                      c->words [w]);
    unlink (org);
    unlink (categories);
    unlink (admission);
}

static void
test_every_bad_entry_is_refused_naming_the_file_and_the_entry (void **state)
{
    char dir [] = "/tmp/gl-test-org-XXXXXX";
    assert_non_null (mkdtemp (dir));
    size_t count = sizeof s_cases / sizeof s_cases [0];
    for (size_t i = 0; i < count; i++)
        s_expect_refused (dir, &s_cases [i], 1, i);
    //  A cycle takes two changes: D-X under M-C and M-C under D-X.
    const s_case_t cycle [] = {
        { false, "units", 3, S_SET, "parent", "\"D-X\"", { NULL } },
        { false, "units", 2, S_SET, "parent", "\"M-C\"", { "units[2] 'D-X'", "cycle" } },
    };
    s_expect_refused (dir, cycle, 2, count);
    //  A file that is not there.
    char org [PATH_MAX], categories [PATH_MAX], admission [PATH_MAX];
    snprintf (org, sizeof org, "%s/org.json", dir);
    snprintf (categories, sizeof categories, "%s/categories.json", dir);
    snprintf (admission, sizeof admission, "%s/admission.json", dir);
    s_write (org, s_base_org);
    s_write (categories, s_base_categories);
    gl_err_t err = { GL_OK, "" };
    assert_null (gl_org_load (org, categories, admission, &err));
    assert_non_null (strstr (err.message, admission));
    assert_non_null (strstr (err.message, "no such file"));
    unlink (categories);
    assert_null (gl_org_load (org, categories, admission, &err));
    assert_non_null (strstr (err.message, categories));
    assert_non_null (strstr (err.message, "no such file"));
    unlink (org);
    assert_null (gl_org_load (org, categories, NULL, &err));
    assert_non_null (strstr (err.message, org));
    rmdir (dir);
}

//  ---------------------------------------------------------------------------------------------
//  The generator

static char *
s_slurp (const char *path, size_t *len)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        fail_msg ("cannot open %s", path);
    struct stat st;
    assert_int_equal (fstat (fileno (file), &st), 0);
    char *bytes = malloc (st.st_size + 1);
    assert_non_null (bytes);
    *len = fread (bytes, 1, st.st_size, file);
    assert_int_equal (*len, (size_t) st.st_size);
    fclose (file);
    return bytes;
}

static void
test_generator_gives_the_committed_files_byte_for_byte (void **state)
{
    if (access ("/usr/bin/python3", X_OK))
        skip ();
    const char *names [] = { "org.json", "categories.json", "admission.json" };
    for (int run = 0; run < 2; run++) {
        char dir [] = "/tmp/gl-test-gen-XXXXXX";
        assert_non_null (mkdtemp (dir));
        char command [PATH_MAX * 2];
        snprintf (command, sizeof command, "/usr/bin/python3 '%s/tools/gen-county.py' --out '%s'",
                  u_source_dir (), dir);
        assert_int_equal (system (command), 0);
        for (int f = 0; f < 3; f++) {
            char made [PATH_MAX], committed [PATH_MAX];
            snprintf (made, sizeof made, "%s/%s", dir, names [f]);
            snprintf (committed, sizeof committed, "%s/deploy/yunyang/%s", u_source_dir (),
                      names [f]);
            size_t made_len, committed_len;
            char *a = s_slurp (made, &made_len);
            char *b = s_slurp (committed, &committed_len);
            u_assert_bytes (names [f], a, made_len, b, committed_len);
            free (a);
            free (b);
            unlink (made);
        }
        rmdir (dir);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_yunyang_has_242_grids_in_4_streets),
        cmocka_unit_test (test_every_grid_sits_in_a_community_in_a_street),
        cmocka_unit_test (test_every_grid_has_its_1_plus_3_team_and_1_to_3_helpers),
        cmocka_unit_test (test_every_street_has_a_centre_and_the_four_boards_with_posts),
        cmocka_unit_test (test_departments_utilities_and_the_four_mediation_channels_exist),
        cmocka_unit_test (test_every_category_resolves_its_board_and_handlers),
        cmocka_unit_test (test_lookups_walk_from_grid_to_community_to_street),
        cmocka_unit_test (test_print_tree_lists_units_and_cuts_at_the_depth),
        cmocka_unit_test (test_bundled_registry_loads_with_its_four_lists),
        cmocka_unit_test (test_admitted_work_may_be_given_to_a_community_or_grid),
        cmocka_unit_test (test_negative_list_work_is_refused_with_its_basis),
        cmocka_unit_test (test_work_not_on_the_registry_is_refused),
        cmocka_unit_test (test_expired_items_no_longer_admit),
        cmocka_unit_test (test_work_admitted_at_one_level_only_is_refused_at_the_other),
        cmocka_unit_test (test_every_verdict_names_its_item),
        cmocka_unit_test (test_the_small_county_used_for_refusals_loads),
        cmocka_unit_test (test_the_files_contents_load_as_the_files_do),
        cmocka_unit_test (test_every_bad_entry_is_refused_naming_the_file_and_the_entry),
        cmocka_unit_test (test_generator_gives_the_committed_files_byte_for_byte),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
