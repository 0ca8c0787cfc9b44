/*
 * Sightline's thin layer over the system's FFmpeg libraries (libavcodec, libavutil, libswscale): a handful of plain C
 * functions over opaque handles, so the C# side never depends on FFmpeg's struct layouts, which change between
 * versions. Decoders (any libavcodec decoder by name), encoders (libx264, libvpx, libopus, … by name) with live bitrate
 * and keyframe on demand, and a scaler to I420. Errors are negative AVERROR codes; sl_error_text() explains them.
 */
#include <libavutil/log.h>
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
    int buffer_ms; /* rate-control buffer, in ms of the target bitrate */
} sl_encoder;

typedef struct {
    struct SwsContext *sws;
    AVFrame *out;
    int sw, sh, sfmt;
} sl_scaler;

int sl_version(void) { return (int)avcodec_version(); }

/* FFmpeg logs to stderr at INFO by default (x264 prints its statistics when closed): errors only. */
static void quiet(void) { av_log_set_level(AV_LOG_ERROR); }

void sl_error_text(int code, char *buffer, int size) { av_strerror(code, buffer, (size_t)size); }

/* low_delay: output each picture as soon as it is decoded; off for streams that reorder frames (B-frames), whose
 * pictures must come out in presentation order. */
sl_decoder *sl_decoder_open(const char *name, int low_delay)
{
    quiet();
    const AVCodec *codec = avcodec_find_decoder_by_name(name);
    if (!codec) return NULL;
    sl_decoder *d = calloc(1, sizeof *d);
    d->ctx = avcodec_alloc_context3(codec);
    d->ctx->thread_count = 1;
    if (low_delay) d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
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
/* buffer_ms: the rate-control (VBV) buffer in ms of the bitrate: how big a burst (a keyframe) may be.
 * level: H.264 level_idc to announce and hold to (31 = 3.1), 0 = the encoder's own choice. */
sl_encoder *sl_encoder_open(const char *name, int width, int height, int fps, int bitrate, int buffer_ms, int level)
{
    quiet();
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec) return NULL;
    sl_encoder *e = calloc(1, sizeof *e);
    e->buffer_ms = buffer_ms > 0 ? buffer_ms : 500;
    e->ctx = avcodec_alloc_context3(codec);
    AVCodecContext *c = e->ctx;
    c->width = width;
    c->height = height;
    c->time_base = (AVRational){1, 90000};
    c->framerate = (AVRational){fps, 1};
    /* MJPEG (thumbnails) takes the same planes flagged full range. */
    c->pix_fmt = strcmp(name, "mjpeg") == 0 ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
    c->bit_rate = bitrate;
    c->rc_max_rate = bitrate;
    c->rc_buffer_size = (int)((int64_t)bitrate * e->buffer_ms / 1000);
    c->gop_size = fps * 10;
    c->max_b_frames = 0;
    c->thread_count = 1;
    if (level > 0) c->level = level;
    if (strcmp(name, "mjpeg") != 0) c->flags |= AV_CODEC_FLAG_LOW_DELAY; /* MJPEG refuses the flag (every frame stands alone anyway) */
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
    e->ctx->rc_buffer_size = (int)((int64_t)bitrate * e->buffer_ms / 1000);
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

/* ---- Audio: AAC (or any decoder) to Opus 48 kHz in 20 ms frames, for browsers. ---- */
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>

typedef struct {
    AVCodecContext *dec, *enc;
    SwrContext *swr;
    AVAudioFifo *fifo;
    AVPacket *in_packet, *out_packet;
    AVFrame *decoded, *frame;
    int64_t next_pts;
} sl_audio;

/* config: the decoder's extradata (AudioSpecificConfig for AAC); output Opus at 48 kHz with the given channels (1–2). */
sl_audio *sl_audio_open(const char *decoder_name, const uint8_t *config, int config_size, int out_channels, int bitrate)
{
    quiet();
    const AVCodec *dc = avcodec_find_decoder_by_name(decoder_name);
    const AVCodec *ec = avcodec_find_encoder_by_name("libopus");
    if (!dc || !ec) return NULL;
    sl_audio *a = calloc(1, sizeof *a);
    a->dec = avcodec_alloc_context3(dc);
    if (config_size > 0) {
        a->dec->extradata = av_mallocz((size_t)config_size + AV_INPUT_BUFFER_PADDING_SIZE);
        memcpy(a->dec->extradata, config, (size_t)config_size);
        a->dec->extradata_size = config_size;
    }
    if (avcodec_open2(a->dec, dc, NULL) < 0) goto fail;
    a->enc = avcodec_alloc_context3(ec);
    a->enc->sample_rate = 48000;
    av_channel_layout_default(&a->enc->ch_layout, out_channels);
    a->enc->sample_fmt = AV_SAMPLE_FMT_S16;
    a->enc->bit_rate = bitrate;
    a->enc->time_base = (AVRational){1, 48000};
    av_opt_set(a->enc->priv_data, "application", "lowdelay", 0);
    av_opt_set(a->enc->priv_data, "frame_duration", "20", 0);
    if (avcodec_open2(a->enc, ec, NULL) < 0) goto fail;
    a->fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_S16, out_channels, 48000);
    a->in_packet = av_packet_alloc();
    a->out_packet = av_packet_alloc();
    a->decoded = av_frame_alloc();
    a->frame = av_frame_alloc();
    return a;
fail:
    avcodec_free_context(&a->dec);
    avcodec_free_context(&a->enc);
    free(a);
    return NULL;
}

/* Decodes one encoded audio frame and queues its samples, resampled to 48 kHz S16. */
int sl_audio_send(sl_audio *a, const uint8_t *data, int size)
{
    av_packet_unref(a->in_packet);
    if (av_new_packet(a->in_packet, size) < 0) return AVERROR(ENOMEM);
    memcpy(a->in_packet->data, data, (size_t)size);
    int r = avcodec_send_packet(a->dec, a->in_packet);
    if (r < 0) return r;
    while ((r = avcodec_receive_frame(a->dec, a->decoded)) == 0) {
        if (!a->swr) {
            r = swr_alloc_set_opts2(&a->swr, &a->enc->ch_layout, AV_SAMPLE_FMT_S16, 48000,
                                    &a->decoded->ch_layout, a->decoded->format, a->decoded->sample_rate, 0, NULL);
            if (r < 0 || swr_init(a->swr) < 0) return AVERROR(EINVAL);
        }
        int max = (int)av_rescale_rnd(swr_get_delay(a->swr, a->decoded->sample_rate) + a->decoded->nb_samples, 48000, a->decoded->sample_rate, AV_ROUND_UP);
        uint8_t *buffer = NULL;
        int linesize;
        if (av_samples_alloc(&buffer, &linesize, a->enc->ch_layout.nb_channels, max, AV_SAMPLE_FMT_S16, 0) < 0) return AVERROR(ENOMEM);
        int n = swr_convert(a->swr, &buffer, max, (const uint8_t **)a->decoded->extended_data, a->decoded->nb_samples);
        if (n > 0) av_audio_fifo_write(a->fifo, (void **)&buffer, n);
        av_freep(&buffer);
        av_frame_unref(a->decoded);
    }
    return 0;
}

/* 0: one Opus packet of 20 ms (valid until the next call), 1: needs more input, <0: error. */
int sl_audio_receive(sl_audio *a, const uint8_t **data, int *size)
{
    av_packet_unref(a->out_packet);
    int r = avcodec_receive_packet(a->enc, a->out_packet);
    if (r == 0) {
        *data = a->out_packet->data;
        *size = a->out_packet->size;
        return 0;
    }
    if (r != AVERROR(EAGAIN)) return r;
    int frame_size = a->enc->frame_size > 0 ? a->enc->frame_size : 960;
    if (av_audio_fifo_size(a->fifo) < frame_size) return 1;
    av_frame_unref(a->frame);
    a->frame->nb_samples = frame_size;
    a->frame->format = AV_SAMPLE_FMT_S16;
    a->frame->sample_rate = 48000;
    av_channel_layout_copy(&a->frame->ch_layout, &a->enc->ch_layout);
    if ((r = av_frame_get_buffer(a->frame, 0)) < 0) return r;
    av_audio_fifo_read(a->fifo, (void **)a->frame->data, frame_size);
    a->frame->pts = a->next_pts;
    a->next_pts += frame_size;
    if ((r = avcodec_send_frame(a->enc, a->frame)) < 0) return r;
    return sl_audio_receive(a, data, size);
}

/* Samples (48 kHz) decoded and waiting to be encoded. */
int sl_audio_buffered(sl_audio *a) { return a->fifo ? av_audio_fifo_size(a->fifo) : 0; }

void sl_audio_close(sl_audio *a)
{
    if (!a) return;
    avcodec_free_context(&a->dec);
    avcodec_free_context(&a->enc);
    swr_free(&a->swr);
    if (a->fifo) av_audio_fifo_free(a->fifo);
    av_packet_free(&a->in_packet);
    av_packet_free(&a->out_packet);
    av_frame_free(&a->decoded);
    av_frame_free(&a->frame);
    free(a);
}

/* ---- Audio for composed recordings: any camera audio to 48 kHz mono S16, and 48 kHz mono S16 to AAC-LC. ---- */

typedef struct {
    AVCodecContext *dec;
    SwrContext *swr;
    AVAudioFifo *fifo;
    AVPacket *packet;
    AVFrame *decoded;
    AVChannelLayout mono;
} sl_pcm;

/* A decoder (aac, pcm_mulaw, pcm_alaw, libopus…) whose output is resampled to 48 kHz mono S16 and queued. */
sl_pcm *sl_pcm_open(const char *decoder_name, const uint8_t *config, int config_size, int sample_rate, int channels)
{
    quiet();
    const AVCodec *dc = avcodec_find_decoder_by_name(decoder_name);
    if (!dc) return NULL;
    sl_pcm *p = calloc(1, sizeof *p);
    p->dec = avcodec_alloc_context3(dc);
    p->dec->sample_rate = sample_rate;
    av_channel_layout_default(&p->dec->ch_layout, channels > 0 ? channels : 1);
    if (config_size > 0) {
        p->dec->extradata = av_mallocz((size_t)config_size + AV_INPUT_BUFFER_PADDING_SIZE);
        memcpy(p->dec->extradata, config, (size_t)config_size);
        p->dec->extradata_size = config_size;
    }
    if (avcodec_open2(p->dec, dc, NULL) < 0) {
        avcodec_free_context(&p->dec);
        free(p);
        return NULL;
    }
    av_channel_layout_default(&p->mono, 1);
    p->fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_S16, 1, 48000);
    p->packet = av_packet_alloc();
    p->decoded = av_frame_alloc();
    return p;
}

int sl_pcm_send(sl_pcm *p, const uint8_t *data, int size)
{
    av_packet_unref(p->packet);
    if (av_new_packet(p->packet, size) < 0) return AVERROR(ENOMEM);
    memcpy(p->packet->data, data, (size_t)size);
    int r = avcodec_send_packet(p->dec, p->packet);
    if (r < 0) return r;
    while ((r = avcodec_receive_frame(p->dec, p->decoded)) == 0) {
        if (!p->swr) {
            r = swr_alloc_set_opts2(&p->swr, &p->mono, AV_SAMPLE_FMT_S16, 48000,
                                    &p->decoded->ch_layout, p->decoded->format, p->decoded->sample_rate, 0, NULL);
            if (r < 0 || swr_init(p->swr) < 0) return AVERROR(EINVAL);
        }
        int max = (int)av_rescale_rnd(swr_get_delay(p->swr, p->decoded->sample_rate) + p->decoded->nb_samples, 48000, p->decoded->sample_rate, AV_ROUND_UP);
        uint8_t *buffer = NULL;
        int linesize;
        if (av_samples_alloc(&buffer, &linesize, 1, max, AV_SAMPLE_FMT_S16, 0) < 0) return AVERROR(ENOMEM);
        int n = swr_convert(p->swr, &buffer, max, (const uint8_t **)p->decoded->extended_data, p->decoded->nb_samples);
        if (n > 0) av_audio_fifo_write(p->fifo, (void **)&buffer, n);
        av_freep(&buffer);
        av_frame_unref(p->decoded);
    }
    return 0;
}

/* Reads up to max queued samples; returns how many. */
int sl_pcm_read(sl_pcm *p, int16_t *out, int max)
{
    void *planes[1] = { out };
    int n = av_audio_fifo_size(p->fifo);
    if (n > max) n = max;
    return n > 0 ? av_audio_fifo_read(p->fifo, planes, n) : 0;
}

int sl_pcm_available(sl_pcm *p) { return av_audio_fifo_size(p->fifo); }

void sl_pcm_close(sl_pcm *p)
{
    if (!p) return;
    avcodec_free_context(&p->dec);
    swr_free(&p->swr);
    if (p->fifo) av_audio_fifo_free(p->fifo);
    av_packet_free(&p->packet);
    av_frame_free(&p->decoded);
    free(p);
}

typedef struct {
    AVCodecContext *enc;
    AVPacket *packet;
    AVFrame *frame;
    int64_t next_pts;
} sl_aac;

/* FFmpeg's AAC-LC encoder, 48 kHz mono, its AudioSpecificConfig in the extradata (global header). */
sl_aac *sl_aac_open(int bitrate)
{
    quiet();
    const AVCodec *ec = avcodec_find_encoder_by_name("aac");
    if (!ec) return NULL;
    sl_aac *a = calloc(1, sizeof *a);
    a->enc = avcodec_alloc_context3(ec);
    a->enc->sample_rate = 48000;
    av_channel_layout_default(&a->enc->ch_layout, 1);
    a->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    a->enc->bit_rate = bitrate;
    a->enc->time_base = (AVRational){1, 48000};
    a->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(a->enc, ec, NULL) < 0) {
        avcodec_free_context(&a->enc);
        free(a);
        return NULL;
    }
    a->packet = av_packet_alloc();
    a->frame = av_frame_alloc();
    return a;
}

int sl_aac_frame_size(sl_aac *a) { return a->enc->frame_size; }

int sl_aac_config(sl_aac *a, const uint8_t **data, int *size)
{
    *data = a->enc->extradata;
    *size = a->enc->extradata_size;
    return 0;
}

/* Encodes exactly frame_size samples of 48 kHz mono S16. */
int sl_aac_send(sl_aac *a, const int16_t *samples, int count)
{
    av_frame_unref(a->frame);
    a->frame->nb_samples = count;
    a->frame->format = AV_SAMPLE_FMT_FLTP;
    a->frame->sample_rate = 48000;
    av_channel_layout_copy(&a->frame->ch_layout, &a->enc->ch_layout);
    int r = av_frame_get_buffer(a->frame, 0);
    if (r < 0) return r;
    float *out = (float *)a->frame->data[0];
    for (int i = 0; i < count; i++) out[i] = samples[i] / 32768.0f;
    a->frame->pts = a->next_pts;
    a->next_pts += count;
    return avcodec_send_frame(a->enc, a->frame);
}

/* 0: a packet (valid until the next call) with its pts in 1/48000 s, 1: none ready, <0: error. */
int sl_aac_receive(sl_aac *a, const uint8_t **data, int *size, int64_t *pts)
{
    av_packet_unref(a->packet);
    int r = avcodec_receive_packet(a->enc, a->packet);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return 1;
    if (r < 0) return r;
    *data = a->packet->data;
    *size = a->packet->size;
    *pts = a->packet->pts;
    return 0;
}

void sl_aac_close(sl_aac *a)
{
    if (!a) return;
    avcodec_free_context(&a->enc);
    av_packet_free(&a->packet);
    av_frame_free(&a->frame);
    free(a);
}
