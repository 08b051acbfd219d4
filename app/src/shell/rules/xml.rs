//! XML given by people for a provider to run (TwiML): checked when it is given, so a document
//! that is not well-formed is refused with the parser's message instead of failing only when a
//! call is answered.
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// Why `text` is not a well-formed XML document whose root element is `<root>`; `None` when
/// it is one. Elements must nest and close, attributes be quoted, entities known, and there
/// must be exactly one root element with nothing but whitespace, comments, the declaration and
/// processing instructions outside it.
pub fn document_problem(text: &str, root: &str) -> Option<String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut open: Vec<String> = Vec::new();
    let mut root_seen: Option<String> = None;
    let bad = |reader: &Reader<&[u8]>, what: String| {
        Some(format!(
            "not well-formed XML (at byte {}): {what}",
            reader.error_position()
        ))
    };
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return bad(&reader, e.to_string()),
        };
        match event {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                for a in e.attributes() {
                    match a {
                        Ok(a) => {
                            if let Err(err) = a.unescape_value() {
                                return bad(&reader, err.to_string());
                            }
                        }
                        Err(err) => return bad(&reader, err.to_string()),
                    }
                }
                if open.is_empty() {
                    if let Some(first) = &root_seen {
                        return bad(&reader, format!("a second root element <{name}> after <{first}>"));
                    }
                    root_seen = Some(name.clone());
                }
                if matches!(event, Event::Start(_)) {
                    open.push(name);
                }
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Text(t) => {
                if let Err(err) = t.unescape() {
                    return bad(&reader, err.to_string());
                }
                if open.is_empty() && !t.iter().all(u8::is_ascii_whitespace) {
                    return bad(&reader, format!("text outside the <{root}> element"));
                }
            }
            Event::CData(_) if open.is_empty() => {
                return bad(&reader, format!("text outside the <{root}> element"));
            }
            Event::DocType(_) => return bad(&reader, "a DOCTYPE is not allowed".into()),
            Event::CData(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if let Some(name) = open.last() {
        return bad(&reader, format!("<{name}> is not closed"));
    }
    match root_seen {
        None => Some(format!("must be an XML document with a <{root}> root element")),
        Some(r) if r != root => Some(format!("the root element must be <{root}>, not <{r}>")),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::document_problem;

    fn problem(t: &str) -> String {
        document_problem(t, "Response").unwrap_or_default()
    }

    #[test]
    fn well_formed_twiml_passes() {
        for ok in [
            "<Response/>",
            "<Response><Say>Hola</Say></Response>",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a call -->\n<Response>\n  <Say voice=\"alice\" language='ca-ES'>Bon dia &amp; adéu &#233;</Say>\n  <Pause length=\"2\"/>\n  <Play><![CDATA[http://example.org/a.mp3]]></Play>\n</Response>\n",
        ] {
            assert_eq!(document_problem(ok, "Response"), None, "{ok}");
        }
    }

    #[test]
    fn what_is_not_well_formed_gets_the_parsers_message() {
        for bad in [
            "<Response><Say>Hola</Say>",
            "<Response><Say>Hola</Response>",
            "<Response><Say a=\"1>Hola</Say></Response>",
            "<Response><Say a=1>Hola</Say></Response>",
            "<Response>&nope;</Response>",
            "<Response/><Response/>",
            "<Response/>trailing",
            "<Response><Say>Hola</Say></Response></Response>",
            "<Response",
        ] {
            let p = problem(bad);
            assert!(p.starts_with("not well-formed XML (at byte "), "{bad}: {p:?}");
        }
    }

    #[test]
    fn the_root_must_be_response() {
        assert_eq!(
            problem("<Say>Hi</Say>"),
            "the root element must be <Response>, not <Say>"
        );
        assert!(problem("Hello").contains("<Response>"), "{}", problem("Hello"));
        assert!(problem("").contains("<Response>"));
        assert!(problem("   ").contains("<Response>"));
    }
}
