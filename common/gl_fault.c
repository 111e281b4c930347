/*  gl_fault — the countdown, read from GL_FAULT at the first passage of any point.  */
#include "gl_fault.h"

#ifdef GL_FAULTS
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const s_points [GL_FAULT_POINTS] = { "commit", "publish", "answer", "backup",
                                                          "sync", "release" };

static struct {
    int ready;                  //  GL_FAULT was read
    int point;                  //  the point armed, or -1
    uint64_t at;                //  the passage that faults (1 = the first)
    int action;                 //  GL_FAULT_FAIL or GL_FAULT_EXIT
    uint64_t passed [GL_FAULT_POINTS];  //  passages so far
    uint64_t fired;             //  faults that fired without an exit
} s_fault;

static void
s_arm (void)
{
    s_fault.ready = 1;
    s_fault.point = -1;
    const char *spec = getenv ("GL_FAULT");
    char point [16], action [16];
    unsigned long long at;
    if (!spec || sscanf (spec, "%15[a-z]:%llu:%15[a-z]", point, &at, action) != 3 || at == 0)
        return;
    for (int i = 0; i < GL_FAULT_POINTS; i++)
        if (strcmp (point, s_points [i]) == 0)
            s_fault.point = i;
    s_fault.at = at;
    s_fault.action = strcmp (action, "exit") == 0? GL_FAULT_EXIT:
                     strcmp (action, "cut") == 0?  GL_FAULT_CUT: GL_FAULT_FAIL;
    fprintf (stderr, "fault injection armed: %s\n", spec);
}

int
gl_fault_check (gl_fault_point_t point)
{
    if (!s_fault.ready)
        s_arm ();
    if ((int) point != s_fault.point || ++s_fault.passed [point] != s_fault.at)
        return GL_FAULT_NONE;
    if (s_fault.action == GL_FAULT_FAIL) {
        s_fault.fired++;
        fprintf (stderr, "fault injected: %s #%llu fails\n", s_points [point],
                 (unsigned long long) s_fault.at);
    }
    return s_fault.action;
}

uint64_t
gl_fault_fired (void)
{
    return s_fault.fired;
}

void
gl_fault_exit (const char *where)
{
    fprintf (stderr, "fault injected: exiting %s\n", where);
    fflush (stderr);
    _exit (GL_FAULT_EXIT_CODE);
}
#endif
