/*
 * Sightline's thin layer over the system's FFmpeg libraries (libavcodec, libavutil, libswscale): a handful of plain C
 * functions over opaque handles, so the C# side never depends on FFmpeg's struct layouts, which change between
 * versions. Decoders (any libavcodec decoder by name), encoders (libx264, libvpx, libopus, … by name) with live bitrate
 * and keyframe on demand, and a scaler to I420. Errors are negative AVERROR codes; sl_error_text() explains them.
 */
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <string.h>

typedef struct {
    int width, height, format;
    const uint8_t *data[3];
    int linesize[3];
    int64_t pts;
    int keyframe;
} sl_picture;

typedef struct {
    AVCodecContext *ctx;
    AVPacket *packet;
    AVFrame *frame;
} sl_decoder;

typedef struct {
    AVCodecContext *ctx;
    AVPacket *packet;
    AVFrame *frame;
    int is_x264;
} sl_encoder;

typedef struct {
    struct SwsContext *sws;
    AVFrame *out;
    int sw, sh, sfmt;
} sl_scaler;

int sl_version(void) { return (int)avcodec_version(); }

void sl_error_text(int code, char *buffer, int size) { av_strerror(code, buffer, (size_t)size); }

sl_decoder *sl_decoder_open(const char *name)
{
    const AVCodec *codec = avcodec_find_decoder_by_name(name);
    if (!codec) return NULL;
    sl_decoder *d = calloc(1, sizeof *d);
    d->ctx = avcodec_alloc_context3(codec);
    d->ctx->thread_count = 1;
    d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    if (avcodec_open2(d->ctx, codec, NULL) < 0) {
        avcodec_free_context(&d->ctx);
        free(d);
        return NULL;
    }
    d->packet = av_packet_alloc();
    d->frame = av_frame_alloc();
    return d;
}

/* Sends one encoded frame (Annex B for H.264/H.265). */
int sl_decoder_send(sl_decoder *d, const uint8_t *data, int size, int64_t pts)
{
    av_packet_unref(d->packet);
    if (av_new_packet(d->packet, size) < 0) return AVERROR(ENOMEM);
    memcpy(d->packet->data, data, (size_t)size);
    d->packet->pts = pts;
    return avcodec_send_packet(d->ctx, d->packet);
}

/* 0: a picture (valid until the next call), 1: needs more input, <0: error. */
int sl_decoder_receive(sl_decoder *d, sl_picture *out)
{
    av_frame_unref(d->frame);
    int r = avcodec_receive_frame(d->ctx, d->frame);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return 1;
    if (r < 0) return r;
    out->width = d->frame->width;
    out->height = d->frame->height;
    out->format = d->frame->format;
    for (int i = 0; i < 3; i++) {
        out->data[i] = d->frame->data[i];
        out->linesize[i] = d->frame->linesize[i];
    }
    out->pts = d->frame->pts;
    out->keyframe = d->frame->key_frame;
    return 0;
}

void sl_decoder_close(sl_decoder *d)
{
    if (!d) return;
    av_frame_free(&d->frame);
    av_packet_free(&d->packet);
    avcodec_free_context(&d->ctx);
    free(d);
}

/* Real-time settings: no B-frames, no lookahead, constant frame rate, bitrate in bits per second. */
sl_encoder *sl_encoder_open(const char *name, int width, int height, int fps, int bitrate)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec) return NULL;
    sl_encoder *e = calloc(1, sizeof *e);
    e->ctx = avcodec_alloc_context3(codec);
    AVCodecContext *c = e->ctx;
    c->width = width;
    c->height = height;
    c->time_base = (AVRational){1, 90000};
    c->framerate = (AVRational){fps, 1};
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->bit_rate = bitrate;
    c->rc_max_rate = bitrate;
    c->rc_buffer_size = bitrate / 2;
    c->gop_size = fps * 10;
    c->max_b_frames = 0;
    c->thread_count = 1;
    c->flags |= AV_CODEC_FLAG_LOW_DELAY;
    e->is_x264 = strcmp(name, "libx264") == 0;
    if (e->is_x264) {
        av_opt_set(c->priv_data, "preset", "veryfast", 0);
        av_opt_set(c->priv_data, "tune", "zerolatency", 0);
        av_opt_set(c->priv_data, "profile", "baseline", 0);
        av_opt_set(c->priv_data, "forced-idr", "1", 0);
        av_opt_set(c->priv_data, "x264-params", "repeat-headers=1:slices=1", 0);
    } else if (strcmp(name, "libvpx") == 0) {
        av_opt_set(c->priv_data, "deadline", "realtime", 0);
        av_opt_set(c->priv_data, "cpu-used", "8", 0);
        av_opt_set(c->priv_data, "lag-in-frames", "0", 0);
        av_opt_set(c->priv_data, "error-resilient", "1", 0);
    }
    if (avcodec_open2(c, codec, NULL) < 0) {
        avcodec_free_context(&e->ctx);
        free(e);
        return NULL;
    }
    e->packet = av_packet_alloc();
    e->frame = av_frame_alloc();
    e->frame->format = c->pix_fmt;
    e->frame->width = width;
    e->frame->height = height;
    return e;
}

/* Changes the target bitrate while running (libx264 reconfigures; other encoders take it at the next keyframe). */
int sl_encoder_set_bitrate(sl_encoder *e, int bitrate)
{
    e->ctx->bit_rate = bitrate;
    e->ctx->rc_max_rate = bitrate;
    e->ctx->rc_buffer_size = bitrate / 2;
    return 0;
}

/* Sends one I420 picture; keyframe != 0 forces an IDR/key frame. */
int sl_encoder_send(sl_encoder *e, const uint8_t *y, const uint8_t *u, const uint8_t *v, int ly, int lu, int lv, int64_t pts, int keyframe)
{
    AVFrame *f = e->frame;
    f->data[0] = (uint8_t *)y;
    f->data[1] = (uint8_t *)u;
    f->data[2] = (uint8_t *)v;
    f->linesize[0] = ly;
    f->linesize[1] = lu;
    f->linesize[2] = lv;
    f->pts = pts;
    f->pict_type = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    f->key_frame = keyframe ? 1 : 0;
    return avcodec_send_frame(e->ctx, f);
}

/* 0: a packet (valid until the next call), 1: needs more input, <0: error. */
int sl_encoder_receive(sl_encoder *e, const uint8_t **data, int *size, int *keyframe, int64_t *pts)
{
    av_packet_unref(e->packet);
    int r = avcodec_receive_packet(e->ctx, e->packet);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return 1;
    if (r < 0) return r;
    *data = e->packet->data;
    *size = e->packet->size;
    *keyframe = (e->packet->flags & AV_PKT_FLAG_KEY) != 0;
    *pts = e->packet->pts;
    return 0;
}

void sl_encoder_close(sl_encoder *e)
{
    if (!e) return;
    av_frame_free(&e->frame);
    av_packet_free(&e->packet);
    avcodec_free_context(&e->ctx);
    free(e);
}

/* A scaler from any decoder output to I420 at the given size. */
sl_scaler *sl_scaler_open(int dw, int dh)
{
    sl_scaler *s = calloc(1, sizeof *s);
    s->out = av_frame_alloc();
    s->out->format = AV_PIX_FMT_YUV420P;
    s->out->width = dw;
    s->out->height = dh;
    if (av_frame_get_buffer(s->out, 32) < 0) {
        av_frame_free(&s->out);
        free(s);
        return NULL;
    }
    return s;
}

int sl_scaler_scale(sl_scaler *s, const sl_picture *in, sl_picture *out)
{
    if (!s->sws || s->sw != in->width || s->sh != in->height || s->sfmt != in->format) {
        sws_freeContext(s->sws);
        s->sws = sws_getContext(in->width, in->height, in->format, s->out->width, s->out->height, AV_PIX_FMT_YUV420P,
                                SWS_BILINEAR, NULL, NULL, NULL);
        if (!s->sws) return AVERROR(EINVAL);
        s->sw = in->width;
        s->sh = in->height;
        s->sfmt = in->format;
    }
    int r = av_frame_make_writable(s->out);
    if (r < 0) return r;
    sws_scale(s->sws, in->data, in->linesize, 0, in->height, s->out->data, s->out->linesize);
    out->width = s->out->width;
    out->height = s->out->height;
    out->format = AV_PIX_FMT_YUV420P;
    for (int i = 0; i < 3; i++) {
        out->data[i] = s->out->data[i];
        out->linesize[i] = s->out->linesize[i];
    }
    out->pts = in->pts;
    out->keyframe = in->keyframe;
    return 0;
}

void sl_scaler_close(sl_scaler *s)
{
    if (!s) return;
    sws_freeContext(s->sws);
    av_frame_free(&s->out);
    free(s);
}
