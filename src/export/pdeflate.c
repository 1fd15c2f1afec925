/* pdeflate.c - one raw deflate stream at a time, cut in blocks deflated on threads. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "export/pdeflate.h"

/*
 * The stream is cut into blocks of PD_BLOCK bytes. Each block is deflated
 * on its own, primed with the PD_DICT bytes before it (deflate's whole
 * window, so it finds the same matches as one long stream would), and
 * ended with a sync flush: its output ends on a byte boundary without the
 * final-block bit, so the outputs concatenated in order are one valid
 * deflate stream, which the last block ends with Z_FINISH (as pigz does).
 * The CRC-32 of each block is combined in order. Blocks move through a
 * ring of jobs: the caller fills one, queues it, and sends finished jobs'
 * output in order; workers take queued jobs in order. With no threads the
 * caller deflates each block itself when it is queued.
 */

#define PD_BLOCK (256 * 1024)
#define PD_DICT (32 * 1024)
/* Jobs in the ring per worker: one deflating, one waiting. */
#define PD_JOBS_PER_THREAD 2

enum pd_state {
	PD_FREE,	/* nobody's: the caller may fill it */
	PD_QUEUED,	/* full, waiting for a worker */
	PD_BUSY,	/* a worker deflates it */
	PD_DONE,	/* its output waits to be sent */
	PD_FAILED,	/* deflate failed (out of memory) */
};

struct pd_job {
	unsigned char *pj_in;	/* PD_DICT + PD_BLOCK: dictionary, data */
	size_t pj_dict;		/* bytes of dictionary at pj_in */
	size_t pj_len;		/* bytes of data after it */
	unsigned char *pj_out;
	size_t pj_out_len;
	size_t pj_out_cap;
	uint32_t pj_crc;	/* of the data */
	int pj_last;		/* ends the stream */
	enum pd_state pj_state;
};

struct pdeflate {
	int pd_level;
	int pd_nthreads;	/* wanted */
	int pd_running;		/* started */
	pthread_t pd_threads[PDEFLATE_MAX_THREADS];
	pthread_mutex_t pd_mu;
	pthread_cond_t pd_work;	/* a job was queued, or stop */
	pthread_cond_t pd_done;	/* a job is done */
	int pd_stop;
	struct pd_job *pd_jobs;
	size_t pd_njobs;
	/* Sequence numbers (job = number % pd_njobs): the job being filled,
	 * the next one a worker takes, the next one sent. */
	uint64_t pd_fill, pd_take, pd_send;
	int pd_filling;		/* job pd_fill has been set up */
	z_stream pd_z;		/* the caller's, without threads */
	int pd_z_ready;
	unsigned char pd_dict[PD_DICT];	/* the stream's last bytes so far */
	size_t pd_dict_len;
	uint32_t pd_crc;	/* of the blocks sent */
	uint64_t pd_in;		/* their bytes */
	int pd_failed;
};

static struct pd_job *
pd_job(struct pdeflate *pd, uint64_t seq)
{
	return &pd->pd_jobs[seq % pd->pd_njobs];
}

/*
 * Deflates job j with z (a raw deflate stream at the right level).
 * Returns 0, or -1 out of memory.
 */
static int
pd_compress(z_stream *z, struct pd_job *j)
{
	const unsigned char *data = j->pj_in + j->pj_dict;
	size_t need;
	unsigned char *p;
	int rc;

	j->pj_crc = (uint32_t)crc32(0, data, (uInt)j->pj_len);
	if (deflateReset(z) != Z_OK || (j->pj_dict > 0 &&
	    deflateSetDictionary(z, j->pj_in, (uInt)j->pj_dict) != Z_OK))
		return -1;
	/* The bound of a finished stream, and room for the sync marker. */
	need = deflateBound(z, (uLong)j->pj_len) + 64;
	if (j->pj_out_cap < need) {
		if ((p = realloc(j->pj_out, need)) == NULL)
			return -1;
		j->pj_out = p;
		j->pj_out_cap = need;
	}
	z->next_in = (Bytef *)(uintptr_t)data;
	z->avail_in = (uInt)j->pj_len;
	z->next_out = j->pj_out;
	z->avail_out = (uInt)j->pj_out_cap;
	rc = deflate(z, j->pj_last ? Z_FINISH : Z_SYNC_FLUSH);
	if (j->pj_last ? rc != Z_STREAM_END :
	    rc != Z_OK || z->avail_in != 0 || z->avail_out == 0)
		return -1;
	j->pj_out_len = j->pj_out_cap - z->avail_out;
	return 0;
}

static int
pd_z_init(z_stream *z, int level)
{
	memset(z, 0, sizeof(*z));
	return deflateInit2(z, level, Z_DEFLATED, -MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

/* A worker: deflates queued jobs in order until told to stop. */
static void *
pd_worker(void *arg)
{
	struct pdeflate *pd = arg;
	struct pd_job *j;
	z_stream z;
	int ready = pd_z_init(&z, pd->pd_level) == 0, rc;

	pthread_mutex_lock(&pd->pd_mu);
	for (;;) {
		while (!pd->pd_stop && pd->pd_take == pd->pd_fill)
			pthread_cond_wait(&pd->pd_work, &pd->pd_mu);
		if (pd->pd_stop)
			break;
		j = pd_job(pd, pd->pd_take++);
		j->pj_state = PD_BUSY;
		pthread_mutex_unlock(&pd->pd_mu);
		rc = ready ? pd_compress(&z, j) : -1;
		pthread_mutex_lock(&pd->pd_mu);
		j->pj_state = rc == 0 ? PD_DONE : PD_FAILED;
		pthread_cond_broadcast(&pd->pd_done);
	}
	pthread_mutex_unlock(&pd->pd_mu);
	if (ready)
		deflateEnd(&z);
	return NULL;
}

struct pdeflate *
pdeflate_new(int level, int threads)
{
	struct pdeflate *pd = calloc(1, sizeof(*pd));

	if (pd == NULL)
		return NULL;
	pd->pd_level = level < 0 || level > 9 ? Z_DEFAULT_COMPRESSION : level;
	pd->pd_nthreads = threads < 0 ? 0 : threads > PDEFLATE_MAX_THREADS ?
	    PDEFLATE_MAX_THREADS : threads;
	pd->pd_njobs = pd->pd_nthreads ?
	    (size_t)pd->pd_nthreads * PD_JOBS_PER_THREAD : 1;
	if ((pd->pd_jobs = calloc(pd->pd_njobs, sizeof(*pd->pd_jobs))) ==
	    NULL) {
		free(pd);
		return NULL;
	}
	pthread_mutex_init(&pd->pd_mu, NULL);
	pthread_cond_init(&pd->pd_work, NULL);
	pthread_cond_init(&pd->pd_done, NULL);
	return pd;
}

/*
 * Starts the workers, with every signal blocked (signals are the
 * responder's main thread's business). Those that cannot be started are
 * done without: with none, the caller deflates.
 */
static void
pd_start(struct pdeflate *pd)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (pd->pd_running < pd->pd_nthreads &&
	    pthread_create(&pd->pd_threads[pd->pd_running], NULL, pd_worker,
	    pd) == 0)
		pd->pd_running++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pd->pd_nthreads = pd->pd_running;
}

/*
 * Sends finished jobs' output in order: waits for every job numbered
 * below upto, then sends those already done. Returns 0 or -1.
 */
static int
pd_send(struct pdeflate *pd, uint64_t upto, pdeflate_out out, void *arg)
{
	struct pd_job *j;
	enum pd_state st;

	while (pd->pd_send < pd->pd_fill) {
		j = pd_job(pd, pd->pd_send);
		pthread_mutex_lock(&pd->pd_mu);
		while (pd->pd_send < upto && (j->pj_state == PD_QUEUED ||
		    j->pj_state == PD_BUSY))
			pthread_cond_wait(&pd->pd_done, &pd->pd_mu);
		st = j->pj_state;
		pthread_mutex_unlock(&pd->pd_mu);
		if (st == PD_QUEUED || st == PD_BUSY)
			return 0;	/* not done yet, and not waited for */
		if (st == PD_FAILED ||
		    out(arg, j->pj_out, j->pj_out_len) == -1) {
			pd->pd_failed = 1;
			return -1;
		}
		pd->pd_crc = (uint32_t)crc32_combine(pd->pd_crc, j->pj_crc,
		    (z_off_t)j->pj_len);
		pd->pd_in += j->pj_len;
		j->pj_state = PD_FREE;	/* no worker looks at it now */
		pd->pd_send++;
	}
	return 0;
}

/*
 * Makes job pd_fill ready to be filled: waits until its slot is sent,
 * gives it its buffers and the dictionary. Returns the job, or NULL.
 */
static struct pd_job *
pd_filling(struct pdeflate *pd, pdeflate_out out, void *arg)
{
	struct pd_job *j = pd_job(pd, pd->pd_fill);

	if (pd->pd_filling)
		return j;
	if (pd->pd_fill >= pd->pd_njobs &&
	    pd_send(pd, pd->pd_fill - pd->pd_njobs + 1, out, arg) == -1)
		return NULL;
	if (j->pj_in == NULL &&
	    (j->pj_in = malloc(PD_DICT + PD_BLOCK)) == NULL) {
		pd->pd_failed = 1;
		return NULL;
	}
	memcpy(j->pj_in, pd->pd_dict, pd->pd_dict_len);
	j->pj_dict = pd->pd_dict_len;
	j->pj_len = 0;
	j->pj_last = 0;
	pd->pd_filling = 1;
	return j;
}

/* Queues the job being filled (the stream's end when last). Returns 0/-1. */
static int
pd_queue(struct pdeflate *pd, struct pd_job *j, int last)
{
	const unsigned char *data = j->pj_in + j->pj_dict;
	size_t keep;

	/* The next block's dictionary: the last PD_DICT bytes so far. */
	if (j->pj_len >= PD_DICT) {
		memcpy(pd->pd_dict, data + j->pj_len - PD_DICT, PD_DICT);
		pd->pd_dict_len = PD_DICT;
	} else {
		keep = PD_DICT - j->pj_len;
		if (keep > pd->pd_dict_len)
			keep = pd->pd_dict_len;
		memmove(pd->pd_dict, pd->pd_dict + pd->pd_dict_len - keep, keep);
		memcpy(pd->pd_dict + keep, data, j->pj_len);
		pd->pd_dict_len = keep + j->pj_len;
	}
	j->pj_last = last;
	pd->pd_filling = 0;
	/* A stream that fits one block never needs the threads. */
	if (pd->pd_nthreads > 0 && pd->pd_running == 0 && !last)
		pd_start(pd);
	if (pd->pd_running == 0) {
		if (!pd->pd_z_ready) {
			if (pd_z_init(&pd->pd_z, pd->pd_level) == -1)
				goto fail;
			pd->pd_z_ready = 1;
		}
		if (pd_compress(&pd->pd_z, j) == -1)
			goto fail;
		j->pj_state = PD_DONE;
		pd->pd_fill++;
		return 0;
	}
	pthread_mutex_lock(&pd->pd_mu);
	j->pj_state = PD_QUEUED;
	pd->pd_fill++;
	pthread_cond_signal(&pd->pd_work);
	pthread_mutex_unlock(&pd->pd_mu);
	return 0;
fail:
	pd->pd_failed = 1;
	return -1;
}

int
pdeflate_write(struct pdeflate *pd, const void *data, size_t len,
    pdeflate_out out, void *arg)
{
	const unsigned char *p = data;
	struct pd_job *j;
	size_t n;

	if (pd->pd_failed)
		return -1;
	while (len > 0) {
		if ((j = pd_filling(pd, out, arg)) == NULL)
			return -1;
		n = PD_BLOCK - j->pj_len;
		if (n > len)
			n = len;
		memcpy(j->pj_in + j->pj_dict + j->pj_len, p, n);
		j->pj_len += n;
		p += n;
		len -= n;
		if (j->pj_len == PD_BLOCK && pd_queue(pd, j, 0) == -1)
			return -1;
	}
	return pd_send(pd, 0, out, arg);
}

int
pdeflate_finish(struct pdeflate *pd, pdeflate_out out, void *arg,
    uint32_t *crc, uint64_t *len)
{
	struct pd_job *j;

	if (pd->pd_failed || (j = pd_filling(pd, out, arg)) == NULL ||
	    pd_queue(pd, j, 1) == -1 || pd_send(pd, pd->pd_fill, out, arg) == -1)
		return -1;
	*crc = pd->pd_crc;
	*len = pd->pd_in;
	pd->pd_crc = 0;
	pd->pd_in = 0;
	pd->pd_dict_len = 0;
	return 0;
}

void
pdeflate_free(struct pdeflate *pd)
{
	if (pd == NULL)
		return;
	pthread_mutex_lock(&pd->pd_mu);
	pd->pd_stop = 1;
	pthread_cond_broadcast(&pd->pd_work);
	pthread_mutex_unlock(&pd->pd_mu);
	for (int i = 0; i < pd->pd_running; i++)
		pthread_join(pd->pd_threads[i], NULL);
	if (pd->pd_z_ready)
		deflateEnd(&pd->pd_z);
	for (size_t i = 0; i < pd->pd_njobs; i++) {
		free(pd->pd_jobs[i].pj_in);
		free(pd->pd_jobs[i].pj_out);
	}
	free(pd->pd_jobs);
	pthread_mutex_destroy(&pd->pd_mu);
	pthread_cond_destroy(&pd->pd_work);
	pthread_cond_destroy(&pd->pd_done);
	free(pd);
}
