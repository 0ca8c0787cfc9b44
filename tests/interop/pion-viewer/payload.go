package main

import "encoding/binary"

// payloadInfo is what one RTP payload tells about its frame: whether it carries keyframe data, and the picture size
// when it carries a sequence parameter set (H.264) or a key frame header (VP8).
type payloadInfo struct {
	keyframe      bool
	width, height int
}

// inspectH264 reads an H.264 RTP payload (RFC 6184 §5.6–5.8): single NAL units, STAP-A and FU-A.
func inspectH264(p []byte) payloadInfo {
	var info payloadInfo
	if len(p) < 1 {
		return info
	}
	switch t := p[0] & 0x1f; {
	case t >= 1 && t <= 23:
		inspectNAL(p, &info)
	case t == 24: // STAP-A: a 16-bit size before each NAL unit.
		for rest := p[1:]; len(rest) >= 2; {
			size := int(binary.BigEndian.Uint16(rest))
			rest = rest[2:]
			if size == 0 || size > len(rest) {
				break
			}
			inspectNAL(rest[:size], &info)
			rest = rest[size:]
		}
	case t == 28: // FU-A: the first fragment (S bit) names the NAL unit type.
		if len(p) >= 2 && p[1]&0x80 != 0 && p[1]&0x1f == 5 {
			info.keyframe = true
		}
	}
	return info
}

func inspectNAL(nal []byte, info *payloadInfo) {
	switch nal[0] & 0x1f {
	case 5: // IDR slice
		info.keyframe = true
	case 7: // sequence parameter set
		if w, h, ok := spsSize(nal[1:]); ok {
			info.width, info.height = w, h
		}
	}
}

// spsSize reads the coded picture size from an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1), cropping
// included; rbsp starts after the NAL header.
func spsSize(rbsp []byte) (int, int, bool) {
	r := bitReader{data: unescapeRBSP(rbsp)}
	profile := r.bits(8)
	r.bits(16) // constraint flags, level
	r.ue()     // seq_parameter_set_id
	chroma := uint32(1)
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		chroma = r.ue()
		if chroma == 3 {
			r.bits(1) // separate_colour_plane_flag
		}
		r.ue()              // bit_depth_luma_minus8
		r.ue()              // bit_depth_chroma_minus8
		r.bits(1)           // qpprime_y_zero_transform_bypass_flag
		if r.bits(1) == 1 { // seq_scaling_matrix_present_flag
			lists := 8
			if chroma == 3 {
				lists = 12
			}
			for i := 0; i < lists; i++ {
				if r.bits(1) == 1 {
					size := 16
					if i >= 6 {
						size = 64
					}
					last, next := int32(8), int32(8)
					for j := 0; j < size && next != 0; j++ {
						next = (last + r.se() + 256) % 256
						if next != 0 {
							last = next
						}
					}
				}
			}
		}
	}
	r.ue()          // log2_max_frame_num_minus4
	switch r.ue() { // pic_order_cnt_type
	case 0:
		r.ue()
	case 1:
		r.bits(1)
		r.se()
		r.se()
		for n := r.ue(); n > 0 && !r.failed; n-- {
			r.se()
		}
	}
	r.ue()    // max_num_ref_frames
	r.bits(1) // gaps_in_frame_num_value_allowed_flag
	widthMbs := int(r.ue()) + 1
	heightUnits := int(r.ue()) + 1
	frameMbsOnly := int(r.bits(1))
	if frameMbsOnly == 0 {
		r.bits(1) // mb_adaptive_frame_field_flag
	}
	r.bits(1) // direct_8x8_inference_flag
	width, height := widthMbs*16, (2-frameMbsOnly)*heightUnits*16
	if r.bits(1) == 1 { // frame_cropping_flag
		cropX, cropY := 1, 2-frameMbsOnly
		if chroma == 1 || chroma == 2 {
			cropX = 2
		}
		if chroma == 1 {
			cropY *= 2
		}
		left, right, top, bottom := int(r.ue()), int(r.ue()), int(r.ue()), int(r.ue())
		width -= cropX * (left + right)
		height -= cropY * (top + bottom)
	}
	if r.failed || width <= 0 || height <= 0 {
		return 0, 0, false
	}
	return width, height, true
}

// unescapeRBSP removes emulation prevention bytes (00 00 03 → 00 00, §7.4.1).
func unescapeRBSP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

type bitReader struct {
	data   []byte
	pos    int
	failed bool
}

func (r *bitReader) bits(n int) uint32 {
	var v uint32
	for i := 0; i < n; i++ {
		if r.pos >= len(r.data)*8 {
			r.failed = true
			return 0
		}
		v = v<<1 | uint32(r.data[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}

// ue is an unsigned Exp-Golomb code (§9.1).
func (r *bitReader) ue() uint32 {
	zeros := 0
	for r.bits(1) == 0 {
		if r.failed || zeros > 31 {
			r.failed = true
			return 0
		}
		zeros++
	}
	return (1<<zeros - 1) + r.bits(zeros)
}

func (r *bitReader) se() int32 {
	v := r.ue()
	if v&1 == 1 {
		return int32((v + 1) / 2)
	}
	return -int32(v / 2)
}

// inspectVP8 reads a VP8 RTP payload (RFC 7741 §4.2 descriptor); at the start of a partition 0 it reads the frame
// tag (RFC 6386 §9.1): P bit 0 is a key frame, whose header holds the 14-bit width and height.
func inspectVP8(p []byte) payloadInfo {
	var info payloadInfo
	if len(p) < 1 {
		return info
	}
	start, pid := p[0]&0x10 != 0, p[0]&0x07
	i := 1
	if p[0]&0x80 != 0 { // X: extension byte I L T K
		if len(p) < 2 {
			return info
		}
		ext := p[1]
		i = 2
		if ext&0x80 != 0 { // I: picture id, 7 or 15 bits (M bit)
			if len(p) <= i {
				return info
			}
			if p[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if ext&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if ext&0x30 != 0 { // T or K: TID/Y/KEYIDX
			i++
		}
	}
	if !start || pid != 0 || len(p) <= i {
		return info
	}
	frame := p[i:]
	if frame[0]&0x01 != 0 {
		return info // inter frame
	}
	info.keyframe = true
	if len(frame) >= 10 && frame[3] == 0x9d && frame[4] == 0x01 && frame[5] == 0x2a {
		info.width = int(binary.LittleEndian.Uint16(frame[6:]) & 0x3fff)
		info.height = int(binary.LittleEndian.Uint16(frame[8:]) & 0x3fff)
	}
	return info
}
