//! The trace context a traced backend call writes (what the trace-context and baggage
//! propagators would), handed to the backend client as header overrides.

use super::{BAGGAGE, TRACEPARENT, TRACESTATE};
use opentelemetry::trace::{SpanContext, TraceState};

/// What the trace-context and baggage propagators write over the forwarded headers, as the
/// backend client's header overrides ([`crate::client::Request::overrides`]): the incoming
/// baggage, the `traceparent` of `cx` (when it is valid), and its `tracestate` when there is
/// one (else a forwarded `tracestate` is dropped).
pub(super) struct Propagated {
    list: [(&'static http::HeaderName, Option<http::HeaderValue>); 3],
    len: usize,
}

impl Propagated {
    pub(super) fn new(cx: Option<&SpanContext>, baggage: Option<&http::HeaderValue>) -> Propagated {
        let mut p = Propagated {
            list: [(&BAGGAGE, None), (&TRACEPARENT, None), (&TRACESTATE, None)],
            len: 0,
        };
        if let Some(b) = baggage {
            p.push(&BAGGAGE, Some(b.clone()));
        }
        let Some(cx) = cx.filter(|cx| cx.is_valid()) else {
            return p;
        };
        // `00-{trace id}-{span id}-{flags}`, lower-case hex.
        let mut tp = *b"00-00000000000000000000000000000000-0000000000000000-00";
        hex_into(&mut tp[3..35], &cx.trace_id().to_bytes());
        hex_into(&mut tp[36..52], &cx.span_id().to_bytes());
        hex_into(&mut tp[53..55], &[cx.trace_flags().to_u8()]);
        if let Ok(v) = http::HeaderValue::from_bytes(&tp) {
            p.push(&TRACEPARENT, Some(v));
        }
        if *cx.trace_state() == TraceState::NONE {
            p.push(&TRACESTATE, None);
            return p;
        }
        let state = cx.trace_state().header();
        if state.is_empty() {
            p.push(&TRACESTATE, None);
        } else if let Ok(v) = http::HeaderValue::try_from(state) {
            p.push(&TRACESTATE, Some(v));
        }
        p
    }

    fn push(&mut self, name: &'static http::HeaderName, value: Option<http::HeaderValue>) {
        if let Some(slot) = self.list.get_mut(self.len) {
            *slot = (name, value);
            self.len += 1;
        }
    }

    pub(super) fn as_slice(&self) -> &[(&'static http::HeaderName, Option<http::HeaderValue>)] {
        self.list.get(..self.len).unwrap_or_default()
    }
}

/// [`Propagated`] written into `headers`.
#[cfg(test)]
fn inject(
    cx: Option<&SpanContext>,
    baggage: Option<&http::HeaderValue>,
    headers: &mut http::HeaderMap,
) {
    *headers = crate::client::with_overrides(headers, Propagated::new(cx, baggage).as_slice());
}

/// Writes `bytes` as lower-case hex into `out` (twice as long).
fn hex_into(out: &mut [u8], bytes: &[u8]) {
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(*b)]);
    }
}

/// Every byte's two lower-case hex digits.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        pairs[i] = [HEX[i >> 4], HEX[i & 0xf]];
        i += 1;
    }
    pairs
};

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanId, TraceFlags, TraceId};

    #[test]
    fn traceparent_is_lower_case_hex() {
        let cx = SpanContext::new(
            TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128),
            SpanId::from(0x00f0_67aa_0ba9_02b7_u64),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        );
        let mut headers = http::HeaderMap::new();
        inject(Some(&cx), None, &mut headers);
        assert_eq!(
            headers.get("traceparent").map(|v| v.as_bytes()),
            Some(&b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"[..])
        );
        assert!(headers.get("tracestate").is_none());
    }
}
