/*  Fuzz over the wire: damaged and random requests sent to a running intake. Every one is
    answered (a refusal or, when the damage left a valid report, an id), intake never dies,
    and it created exactly one event per distinct id it acknowledged (damage can turn one
    req_id into an earlier one, which is then rightly answered as a retry).  */
#include "testkit.h"
#include "mutate.h"

int
main (int argc, char **argv)
{
    long rounds = argc > 1? atol (argv [1]): 20000;
    tk_net_t *net = tk_net_new (21500, NULL);
    tk_start (net, "bus");
    tk_start (net, "intake");
    uint64_t rng = 0x243f6a8885a308d3ULL;
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    tk_connect (net, dealer, tk_endpoint (net, "intake"));
    zsock_set_rcvtimeo (dealer, 5000);
    long ok = 0, refused = 0;
    zhash_t *ids = zhash_new ();
    uint8_t buf [8192];
    for (long r = 0; r < rounds; r++) {
        char req_id [32];
        snprintf (req_id, sizeof req_id, "fuzz-%ld", r);
        msgpack_sbuffer seed;
        tk_report_request (&seed, req_id, (unsigned) r, 0);
        size_t n;
        if (r % 10 == 0) {                      //  pure noise now and then
            n = mutate_rand (&rng) % 64;
            for (size_t i = 0; i < n; i++)
                buf [i] = (uint8_t) mutate_rand (&rng);
        }
        else
            n = mutate ((const uint8_t *) seed.data, seed.size, buf, sizeof buf, &rng);
        msgpack_sbuffer_destroy (&seed);
        zmq_send (zsock_resolve (dealer), "", 0, ZMQ_SNDMORE);
        zmq_send (zsock_resolve (dealer), buf, n, 0);
        zmsg_t *msg = zmsg_recv (dealer);
        TK_CHECK (net, msg, "round %ld: intake did not answer a damaged request", r);
        zframe_t *payload = zmsg_last (msg);
        gl_doc_t doc;
        gl_err_t err;
        TK_CHECK (net, gl_doc_parse (&doc, zframe_data (payload), zframe_size (payload),
                                     &err) == 0, "round %ld: unreadable answer", r);
        char id [GL_MAX_NAME + 1];
        if (gl_answer_check (&doc.root, &err) == 0) {
            TK_CHECK (net, gl_get_strbuf (&doc.root, "id", id, sizeof id),
                      "round %ld: ok without an id", r);
            zhash_insert (ids, id, "");
            ok++;
        }
        else {
            TK_CHECK (net, strlen (err.message) > 10, "round %ld: refusal without a reason", r);
            refused++;
        }
        gl_doc_fini (&doc);
        zmsg_destroy (&msg);
    }
    zsock_destroy (&dealer);
    int64_t last = tk_status (net, "intake", "last_seq");
    long distinct = (long) zhash_size (ids);
    zhash_destroy (&ids);
    printf ("%ld damaged requests: %ld answered with an id (%ld distinct), %ld refused; intake "
            "made %lld events\n", rounds, ok, distinct, refused, (long long) last);
    TK_CHECK (net, last == distinct, "intake made %lld events but acknowledged %ld distinct ids",
              (long long) last, distinct);
    TK_CHECK (net, refused > rounds / 2, "too few refusals (%ld): is the damage real?", refused);
    printf ("1 passed, 0 failed\n");
    tk_net_destroy (&net);
    return 0;
}
