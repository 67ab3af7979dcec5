import Foundation

/// The frame every review page shares: header with the station, the open count and the
/// reviewer, and the stylesheet. Everything is inline so the page works on a boat's LAN with
/// no internet: no CDN, no web fonts (the system's sans-serif), no build step.
enum ReviewLayout {
    struct Chrome {
        var stationName: String
        var reviewer: String?
        var csrf: String?
        var openCount: Int?
        var section: String = "queue"
    }

    static func page(title: String, chrome: Chrome, nonce: String, body: HTML, script: HTML = "") -> HTML {
        let nav: HTML
        if chrome.reviewer != nil {
            let count: HTML = chrome.openCount.map { " <b>\($0)</b>" } ?? ""
            nav = """
                <nav><a href="/"\(chrome.section == "queue" ? HTML(raw: " class=\"on\"") : "")>Queue\(count)</a>\
                <a href="/catalog"\(chrome.section == "catalog" ? HTML(raw: " class=\"on\"") : "")>Catalog</a></nav>
                """
        } else {
            nav = ""
        }
        let who: HTML = chrome.reviewer.map { name in
            """
            <form class="who" method="post" action="/logout"><input type="hidden" name="csrf" value="\(chrome.csrf ?? "")">\
            <span title="Decisions are recorded under this name">\(name)</span><button type="submit">Log out</button></form>
            """
        } ?? ""
        let scriptTag: HTML = script.raw.isEmpty ? "" : "<script nonce=\"\(nonce)\">\(script)</script>"
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · FlukeWatch</title><style>\(HTML(raw: stylesheet))</style></head>
            <body><header class="top"><a class="brand" href="/">FlukeWatch <span>review</span></a>\
            <span class="station">\(chrome.stationName)</span>\(nav)\(who)</header>
            <main>\(body)</main>\(scriptTag)</body></html>
            """
    }

    /// Security headers for every page: the nonce lets only our own inline script and style run.
    /// Styles stay 'unsafe-inline' (a nonce would switch off the score bars' style attributes;
    /// CSS cannot run code). Referrer-Policy same-origin, not no-referrer: under no-referrer Chromium sends
    /// `Origin: null` on our own form posts, which the same-origin check must refuse.
    static func headers(nonce: String) -> [(String, String)] {
        [("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'nonce-\(nonce)'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
         ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"), ("Cache-Control", "no-store")]
    }

    static let stylesheet = """
        :root{--ink:#1b2430;--muted:#5d6b7a;--line:#d9dfe6;--bg:#eef2f5;--card:#fff;--accent:#0b5cad;--match:#1d7a46;--uncertain:#a86400;--new:#7a3fb0;--reject:#a3262f}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
        a{color:var(--accent)}
        header.top{display:flex;align-items:center;gap:18px;height:44px;padding:0 20px;background:#0f2a44;color:#dfe8f1}
        .brand{color:#fff;font-weight:700;text-decoration:none;font-size:16px}.brand span{font-weight:400;color:#9fc3e6}
        .station{color:#9fb3c8}
        header nav{display:flex;gap:4px;margin-left:12px}
        header nav a{color:#dfe8f1;text-decoration:none;padding:6px 12px;border-radius:6px}
        header nav a.on{background:#24496e;color:#fff}header nav b{background:#f0b429;color:#1b2430;border-radius:9px;padding:0 7px;margin-left:4px;font-size:12px}
        form.who{margin-left:auto;display:flex;align-items:center;gap:10px}
        form.who button{background:none;border:1px solid #4d6b88;color:#dfe8f1;border-radius:6px;padding:3px 10px;cursor:pointer}
        main{padding:14px 20px 20px;max-width:1600px;margin:0 auto}
        h1{font-size:17px;margin:0}h2{font-size:15px;margin:0}h3{font-size:15px;margin:0}
        .flash{display:flex;align-items:center;gap:12px;background:#e3f1e8;border:1px solid #b6dcc3;border-radius:8px;padding:7px 12px;margin-bottom:12px}
        .flash.undone{background:#fff6e0;border-color:#f0d9a0}
        .flash button{margin-left:auto}
        .enc{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 14px;margin-bottom:12px}
        .enc-head{display:flex;align-items:baseline;gap:14px}.enc-head .sub{color:var(--muted)}
        .enc-head .walk{margin-left:auto;display:flex;gap:8px;align-items:center;color:var(--muted)}
        .walk a{text-decoration:none;border:1px solid var(--line);border-radius:6px;padding:2px 9px;background:#f7f9fb}
        .strip{display:flex;gap:8px;list-style:none;margin:8px 0 0;padding:0;overflow-x:auto}
        .strip a{display:block;position:relative;border:3px solid transparent;border-radius:7px;text-decoration:none}
        .strip img{display:block;height:54px;width:72px;object-fit:cover;border-radius:4px;background:#dde3e9}
        .strip .cur a{border-color:var(--accent)}
        .strip .done img{opacity:.45}
        .enc-actions{display:flex;gap:8px;margin-top:8px}
        .strip span{position:absolute;left:3px;bottom:2px;font-size:11px;color:#fff;background:rgba(15,42,68,.75);border-radius:4px;padding:0 4px}
        .strip b{position:absolute;right:4px;top:4px;width:10px;height:10px;border-radius:5px;border:1.5px solid #fff}
        .strip b.match{background:var(--match)}.strip b.uncertain{background:var(--uncertain)}.strip b.new{background:var(--new)}.strip b.awaiting-identification{background:var(--muted)}
        .bar i.hi{background:var(--match)}.bar i.mid{background:#d9962b}.bar i.low{background:#a9b4bf}
        .compare{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:12px}
        .card{background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden;display:flex;flex-direction:column}
        .card.query{border-color:#0f2a44;box-shadow:0 0 0 1px #0f2a44,0 2px 6px rgba(15,42,68,.2)}
        .cand{cursor:pointer}.cand.sel{outline:3px solid var(--accent);outline-offset:-1px}
        .frame{position:relative;aspect-ratio:4/3;background:#1d2733}
        .frame img{position:absolute;inset:0;width:100%;height:100%;object-fit:contain}
        .key{position:absolute;left:6px;top:6px;background:#fff;color:var(--ink);font-weight:700;border-radius:5px;padding:0 7px;box-shadow:0 1px 2px rgba(0,0,0,.3)}
        .tag{position:absolute;left:6px;top:6px;background:#0f2a44;color:#fff;font-weight:600;border-radius:5px;padding:0 7px;font-size:12px}
        .pager{position:absolute;right:6px;bottom:6px;display:flex;gap:2px;align-items:center;background:rgba(0,0,0,.55);color:#fff;border-radius:5px;font-size:12px;padding:0 2px}
        .pager button{background:none;border:0;color:#fff;cursor:pointer;font-size:14px;padding:0 5px}
        .meta{padding:8px 10px 10px;display:flex;flex-direction:column;gap:4px}
        .meta small{color:var(--muted);font-weight:400}
        .score{display:flex;align-items:center;gap:8px}.score b{font-size:20px;font-variant-numeric:tabular-nums}
        .bar{flex:1;height:8px;background:#e6ebf0;border-radius:4px;overflow:hidden}.bar i{display:block;height:100%;background:var(--accent)}
        .facts{color:var(--muted);font-size:12.5px}
        dl{margin:0;font-size:12.5px}dt{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.04em;margin-top:3px}dd{margin:0;overflow-wrap:anywhere}dd small{color:var(--muted)}
        .badge{display:inline-block;border-radius:9px;padding:0 8px;font-size:12px;font-weight:600;color:#fff;vertical-align:middle}
        .badge.match{background:var(--match)}.badge.uncertain{background:var(--uncertain)}.badge.new{background:var(--new)}
        .badge.awaiting-identification{background:var(--muted)}.badge.confirmed{background:var(--match)}.badge.rejected{background:var(--reject)}
        .actions{display:flex;flex-wrap:wrap;gap:10px;align-items:center;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 14px;margin-top:12px}
        .actions form{display:flex;gap:6px;align-items:center}
        .actions .sep{width:1px;align-self:stretch;background:var(--line)}
        input,select{font:inherit;padding:5px 8px;border:1px solid #b9c3ce;border-radius:6px;background:#fff}
        button{font:inherit;padding:5px 12px;border:1px solid #b9c3ce;border-radius:6px;background:#f7f9fb;color:var(--ink);cursor:pointer}
        button:disabled{opacity:.45;cursor:default}
        button.go{background:var(--match);border-color:var(--match);color:#fff;font-weight:600;padding:7px 16px}
        button.warn{color:var(--reject)}
        kbd{font:600 11px/1 ui-monospace,"DejaVu Sans Mono",monospace;border:1px solid #b9c3ce;border-bottom-width:2px;border-radius:4px;padding:2px 5px;background:#fff;color:var(--ink)}
        button.go kbd{background:rgba(255,255,255,.2);border-color:rgba(255,255,255,.5);color:#fff}
        .keys{margin-top:10px;color:var(--muted);display:flex;flex-wrap:wrap;gap:6px 16px}
        .state{font-weight:600}
        .empty{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:40px;text-align:center}
        .panel{max-width:420px;margin:60px auto;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:24px}
        .panel form{display:flex;flex-direction:column;gap:10px}.panel label{display:flex;flex-direction:column;gap:4px;font-weight:600}
        .error{border-color:#e3b3b7}.error h1{color:var(--reject)}
        .cat{display:grid;grid-template-columns:220px 1fr;gap:14px;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px;margin-bottom:10px}
        .cat .photos{display:flex;gap:8px;flex-wrap:wrap}.cat .photos img{width:160px;aspect-ratio:4/3;object-fit:contain;background:#1d2733;border-radius:6px}
        .cat ul{margin:6px 0 0;padding-left:18px;color:var(--muted);font-size:12.5px}
        .search{display:flex;gap:8px;align-items:center;margin-bottom:12px}
        """
}
