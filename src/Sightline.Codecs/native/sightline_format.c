/*
 * Sightline's thin layer over libavformat: open a camera source by URL (a media file, an HTTP(S) stream, HLS, MJPEG over
 * HTTP), describe its streams and read its packets, as plain C functions over an opaque handle (the C# side never sees
 * FFmpeg's structs). Every blocking call has a deadline and can be cancelled from another thread through the interrupt
 * callback, so a dead server is an error within seconds, never a hang. Errors are negative AVERROR codes; the last
 * error FFmpeg logged for the input is kept as text (sl_input_log) because the codes alone are vague (EIO for TLS).
 */
#include <libavformat/avformat.h>
#include <libavutil/time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    AVFormatContext *ctx;
    AVPacket *packet;
    atomic_int cancelled;
    int timed_out;
    int64_t deadline; /* av_gettime_relative() microseconds; 0 = none */
    char log[512];
    int log_level;    /* of the line in log */
} sl_input;

typedef struct {
    char format[64];
    int64_t duration_us; /* -1 when unknown (live) */
    int64_t start_us;    /* first timestamp, 0 when unknown */
    int64_t bit_rate;
    int seekable;        /* byte-seekable I/O (a file, an HTTP resource served with ranges) */
    int no_timestamps;   /* the format carries no timestamps (MJPEG over HTTP): the caller stamps arrival times */
    int streams;
} sl_input_info;

typedef struct {
    int kind; /* 0 video, 1 audio, 2 other */
    int codec_id;
    char codec[32];
    int width, height;
    int sample_rate, channels;
    int time_base_num, time_base_den;
    int frame_rate_num, frame_rate_den;
    int64_t bit_rate;
    int profile, level;
    int extradata_size;
} sl_stream_info;

typedef struct {
    int stream;
    int keyframe;
    int64_t pts, dts, duration; /* in the stream's time base; INT64_MIN when absent */
    const uint8_t *data;
    int size;
} sl_packet_info;

/* What went wrong, in the terms a camera user acts on (mapped from AVERROR codes here, so C# needs no FFmpeg constants). */
enum { SL_FAIL_OTHER, SL_FAIL_EOF, SL_FAIL_TIMEOUT, SL_FAIL_CANCELLED, SL_FAIL_REFUSED, SL_FAIL_UNREACHABLE,
       SL_FAIL_NOT_FOUND, SL_FAIL_UNAUTHORIZED, SL_FAIL_HTTP_ERROR, SL_FAIL_INVALID_DATA, SL_FAIL_ACCESS_DENIED,
       SL_FAIL_INVALID };

/* FFmpeg's log lines for an input go to that input (the thread reading it sets itself as current), others to stderr. */
static _Thread_local sl_input *current;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void log_line(void *avcl, int level, const char *fmt, va_list args)
{
    if (!current) {
        av_log_default_callback(avcl, level, fmt, args);
        return;
    }
    /* Errors win over warnings (FFmpeg reports "HTTP error 503 …" as a warning, then fails with a bare code). */
    if (level > AV_LOG_WARNING || (level > AV_LOG_ERROR && current->log[0] && current->log_level <= AV_LOG_ERROR)) return;
    current->log_level = level;
    vsnprintf(current->log, sizeof current->log, fmt, args);
    size_t n = strlen(current->log);
    while (n > 0 && (current->log[n - 1] == '\n' || current->log[n - 1] == '\r')) current->log[--n] = 0;
}

static void install_log(void) { av_log_set_callback(log_line); }

static int interrupted(void *opaque)
{
    sl_input *in = opaque;
    if (atomic_load(&in->cancelled)) return 1;
    if (in->deadline && av_gettime_relative() > in->deadline) {
        in->timed_out = 1;
        return 1;
    }
    return 0;
}

static void arm(sl_input *in, int timeout_ms)
{
    in->timed_out = 0;
    in->deadline = timeout_ms > 0 ? av_gettime_relative() + (int64_t)timeout_ms * 1000 : 0;
    current = in;
}

/*
 * An interrupted call reports why: a cancel (AVERROR_EXIT) or a deadline (ETIMEDOUT) — ours, or FFmpeg's own rw_timeout,
 * which some of its paths (a stalled HTTP body under MPEG-TS) also end with AVERROR_EXIT.
 */
static int disarm(sl_input *in, int r)
{
    current = NULL;
    in->deadline = 0;
    if (r >= 0) return r;
    if (atomic_load(&in->cancelled)) return AVERROR_EXIT;
    if (in->timed_out || r == AVERROR_EXIT) return AVERROR(ETIMEDOUT);
    return r;
}

sl_input *sl_input_new(void)
{
    pthread_once(&log_once, install_log);
    sl_input *in = calloc(1, sizeof *in);
    if (in) atomic_init(&in->cancelled, 0);
    return in;
}

/* Cancels the current and every later blocking call of this input (any thread). */
void sl_input_interrupt(sl_input *in) { atomic_store(&in->cancelled, 1); }

/*
 * Opens url and reads its stream info. options: "key=value" lines (format, protocol and demuxer options, e.g.
 * rw_timeout, protocol_whitelist, format_whitelist, tls_verify); timeout_ms bounds the whole open.
 */
int sl_input_open(sl_input *in, const char *url, const char *options, int timeout_ms)
{
    if (in->ctx) return AVERROR(EINVAL);
    AVDictionary *dict = NULL;
    if (options && *options && av_dict_parse_string(&dict, options, "=", "\n", 0) < 0) {
        av_dict_free(&dict);
        return AVERROR(EINVAL);
    }
    AVFormatContext *ctx = avformat_alloc_context();
    if (!ctx) {
        av_dict_free(&dict);
        return AVERROR(ENOMEM);
    }
    ctx->interrupt_callback.callback = interrupted;
    ctx->interrupt_callback.opaque = in;
    in->log[0] = 0;
    arm(in, timeout_ms);
    int r = avformat_open_input(&ctx, url, NULL, &dict); /* frees ctx on failure */
    av_dict_free(&dict);
    if (r >= 0) {
        r = avformat_find_stream_info(ctx, NULL);
        if (r < 0) avformat_close_input(&ctx);
    }
    r = disarm(in, r);
    if (r < 0) return r;
    in->ctx = ctx;
    in->packet = av_packet_alloc();
    return 0;
}

int sl_input_info_get(sl_input *in, sl_input_info *out)
{
    if (!in->ctx) return AVERROR(EINVAL);
    AVFormatContext *c = in->ctx;
    memset(out, 0, sizeof *out);
    snprintf(out->format, sizeof out->format, "%s", c->iformat->name);
    out->duration_us = c->duration > 0 ? c->duration : -1;
    out->start_us = c->start_time != AV_NOPTS_VALUE ? c->start_time : 0;
    out->bit_rate = c->bit_rate;
    out->seekable = c->pb && (c->pb->seekable & AVIO_SEEKABLE_NORMAL);
    out->no_timestamps = (c->iformat->flags & AVFMT_NOTIMESTAMPS) != 0;
    out->streams = (int)c->nb_streams;
    return 0;
}

int sl_input_stream(sl_input *in, int index, sl_stream_info *out)
{
    if (!in->ctx || index < 0 || index >= (int)in->ctx->nb_streams) return AVERROR(EINVAL);
    AVStream *s = in->ctx->streams[index];
    AVCodecParameters *p = s->codecpar;
    memset(out, 0, sizeof *out);
    out->kind = p->codec_type == AVMEDIA_TYPE_VIDEO ? 0 : p->codec_type == AVMEDIA_TYPE_AUDIO ? 1 : 2;
    out->codec_id = (int)p->codec_id;
    snprintf(out->codec, sizeof out->codec, "%s", avcodec_get_name(p->codec_id));
    out->width = p->width;
    out->height = p->height;
    out->sample_rate = p->sample_rate;
    out->channels = p->ch_layout.nb_channels;
    out->time_base_num = s->time_base.num;
    out->time_base_den = s->time_base.den;
    AVRational fps = s->avg_frame_rate.num > 0 ? s->avg_frame_rate : s->r_frame_rate;
    out->frame_rate_num = fps.num;
    out->frame_rate_den = fps.den;
    out->bit_rate = p->bit_rate;
    out->profile = p->profile;
    out->level = p->level;
    out->extradata_size = p->extradata_size;
    return 0;
}

/* The stream's codec configuration (avcC/hvcC, Annex B parameter sets, AudioSpecificConfig, OpusHead); valid while open. */
int sl_input_extradata(sl_input *in, int index, const uint8_t **data)
{
    if (!in->ctx || index < 0 || index >= (int)in->ctx->nb_streams) return AVERROR(EINVAL);
    AVCodecParameters *p = in->ctx->streams[index]->codecpar;
    *data = p->extradata;
    return p->extradata_size;
}

/* 0: a packet (valid until the next call), AVERROR_EOF at the end, <0: error (ETIMEDOUT when nothing came in time). */
int sl_input_read(sl_input *in, int timeout_ms, sl_packet_info *out)
{
    if (!in->ctx) return AVERROR(EINVAL);
    av_packet_unref(in->packet);
    arm(in, timeout_ms);
    int r = disarm(in, av_read_frame(in->ctx, in->packet));
    if (r < 0) return r;
    AVPacket *p = in->packet;
    out->stream = p->stream_index;
    out->keyframe = (p->flags & AV_PKT_FLAG_KEY) != 0;
    out->pts = p->pts == AV_NOPTS_VALUE ? INT64_MIN : p->pts;
    out->dts = p->dts == AV_NOPTS_VALUE ? INT64_MIN : p->dts;
    out->duration = p->duration > 0 ? p->duration : INT64_MIN;
    out->data = p->data;
    out->size = p->size;
    return 0;
}

/* Seeks back to the first keyframe, to play a file again. */
int sl_input_rewind(sl_input *in, int timeout_ms)
{
    if (!in->ctx) return AVERROR(EINVAL);
    int64_t start = in->ctx->start_time != AV_NOPTS_VALUE ? in->ctx->start_time : 0;
    arm(in, timeout_ms);
    int r = avformat_seek_file(in->ctx, -1, INT64_MIN, start, start, 0);
    if (r < 0) r = av_seek_frame(in->ctx, -1, start, AVSEEK_FLAG_BACKWARD);
    return disarm(in, r);
}

/*
 * The last error (else warning) line FFmpeg logged for this input since it was opened ("" when none): kept across reads,
 * because FFmpeg may log the cause ("Stream ends prematurely") during one read and fail the next.
 */
void sl_input_log(sl_input *in, char *buffer, int size)
{
    snprintf(buffer, (size_t)size, "%s", in->log);
}

int sl_error_kind(int code)
{
    switch (code) {
    case AVERROR_EOF: return SL_FAIL_EOF;
    case AVERROR(ETIMEDOUT): return SL_FAIL_TIMEOUT;
    case AVERROR_EXIT: return SL_FAIL_CANCELLED;
    case AVERROR(ECONNREFUSED): return SL_FAIL_REFUSED;
    case AVERROR(EHOSTUNREACH): case AVERROR(ENETUNREACH): case AVERROR(EHOSTDOWN): return SL_FAIL_UNREACHABLE;
    case AVERROR_HTTP_NOT_FOUND: case AVERROR(ENOENT): return SL_FAIL_NOT_FOUND;
    case AVERROR_HTTP_UNAUTHORIZED: case AVERROR_HTTP_FORBIDDEN: return SL_FAIL_UNAUTHORIZED;
    case AVERROR_HTTP_BAD_REQUEST: case AVERROR_HTTP_OTHER_4XX: case AVERROR_HTTP_SERVER_ERROR: return SL_FAIL_HTTP_ERROR;
    case AVERROR_INVALIDDATA: case AVERROR_DEMUXER_NOT_FOUND: case AVERROR_STREAM_NOT_FOUND: return SL_FAIL_INVALID_DATA;
    case AVERROR(EACCES): case AVERROR(EPERM): return SL_FAIL_ACCESS_DENIED;
    case AVERROR(EINVAL): return SL_FAIL_INVALID; /* a format or protocol off the whitelist, a bad URL or option */
    default: return SL_FAIL_OTHER;
    }
}

void sl_input_free(sl_input *in)
{
    if (!in) return;
    if (in->ctx) avformat_close_input(&in->ctx);
    av_packet_free(&in->packet);
    free(in);
}
