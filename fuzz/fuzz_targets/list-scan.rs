#![no_main]
// The List scanner (`netsec_shared::scan`) on arbitrary text: it accepts exactly what
// serde_json reads as a list (an object whose `items`, if any, is an array or null; serde_json
// keeps the last of duplicate keys where the scanner refuses a second `items`), and every item
// it hands over is one JSON value whose watched strings are found in it.
libfuzzer_sys::fuzz_target!(|text: &str| {
    let mut items = Vec::new();
    let scanned = netsec_shared::scan::each_item(text, &["host", "hosts"], |item| {
        let value: serde_json::Value = serde_json::from_str(item.text).expect("an item is JSON");
        for s in item.strings {
            assert!(item.text.contains(s));
        }
        items.push(value);
        Ok(())
    });
    let read = serde_json::from_str::<serde_json::Value>(text).ok().filter(|v| {
        v.is_object() && v.get("items").is_none_or(|i| i.is_array() || i.is_null())
    });
    match (scanned, read) {
        (Ok(()), Some(v)) => {
            let want = v.get("items").and_then(|i| i.as_array()).cloned().unwrap_or_default();
            assert_eq!(items, want);
        }
        (Ok(()), None) => panic!("the scanner accepted what serde_json does not read"),
        (Err(_), Some(_)) => assert!(text.matches("items\"").count() > 1 || text.contains('\\')),
        (Err(_), None) => {}
    }
});
