/*  gl_fault — countdown fault injection, as SQLite tests its VFS: fail or kill the process at
    the N-th passage of a point (a store commit, a publication, an answer), so that a test can
    loop N = 1, 2, … and land on every instant of the commit-then-publish path, instead of
    hoping a random kill does.

    Compiled only into test builds (GL_FAULTS defined: the tests build their own copies of the
    services, gridloop-<name>-fi). In every other build gl_fault_check is a constant 0 and the
    compiler removes the hooks.

    A test names the fault in the environment of the process it starts:
        GL_FAULT=commit:3:fail      the 3rd commit does not happen: it fails as an I/O error
        GL_FAULT=commit:3:exit      the 3rd commit happens, then the process _exits at once,
                                    before publishing or answering anything of that batch
        GL_FAULT=commit:3:cut       the same as a power cut: whatever of the store no sync has
                                    covered yet is lost too (gl_store_powercut), then _exit
        GL_FAULT=sync:2:exit|cut    the process dies as it asks for the 2nd covering sync of the
                                    commit pipeline (durability pipelined): its last batch is
                                    committed, its meta page not yet durable, nothing of it sent
        GL_FAULT=release:4:exit|cut the process dies as it is about to send the 4th durable
                                    batch's publications and answers
        GL_FAULT=publish:5:drop     the 5th publication is not sent (a gap, as a full HWM makes)
        GL_FAULT=publish:5:exit     the process _exits instead of sending the 5th publication
        GL_FAULT=answer:2:exit      the process _exits instead of sending the 2nd answer to a
                                    request that changes state
        GL_FAULT=backup:1:fail      the 1st online backup never starts copying: its thread
                                    holds until the service stops, so that a test can show a
                                    second backup refused while one is running
    A process that exits by a fault exits with GL_FAULT_EXIT_CODE; one whose fault fired without
    exiting says so in status (faults_fired).  */
#ifndef GL_FAULT_H
#define GL_FAULT_H

#include <stdint.h>

typedef enum {
    GL_FAULT_COMMIT,            //  a write transaction of gl_store_write, about to commit
    GL_FAULT_PUBLISH,           //  one published message, about to be sent
    GL_FAULT_ANSWER,            //  one answer to a state-changing request, about to be sent
    GL_FAULT_BACKUP,            //  an online backup's thread, about to copy
    GL_FAULT_SYNC,              //  a covering sync of the commit pipeline, about to be asked
    GL_FAULT_RELEASE,           //  a durable batch, about to be published and answered
    GL_FAULT_POINTS
} gl_fault_point_t;

enum {
    GL_FAULT_NONE = 0,          //  carry on
    GL_FAULT_FAIL,              //  commit: abort instead; publish: drop the message
    GL_FAULT_EXIT,              //  the caller _exits at its point (gl_fault_exit)
    GL_FAULT_CUT                //  the caller loses what is not durable, then _exits: a power
                                //  cut at its point (gl_store_fault_exit)
};

#define GL_FAULT_EXIT_CODE 86   //  the exit status of a process killed by a fault

#ifdef GL_FAULTS
/*  Count a passage of point; returns what to do at this one.  */
int gl_fault_check (gl_fault_point_t point);
/*  Faults that fired in this process without killing it.  */
uint64_t gl_fault_fired (void);
/*  _exit (GL_FAULT_EXIT_CODE) with a line on stderr.  */
void gl_fault_exit (const char *where) __attribute__ ((noreturn));
#else
static inline int gl_fault_check (gl_fault_point_t point) { (void) point; return GL_FAULT_NONE; }
static inline uint64_t gl_fault_fired (void) { return 0; }
static inline void gl_fault_exit (const char *where) { (void) where; }
#endif

#endif
