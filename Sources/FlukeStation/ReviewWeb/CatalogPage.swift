import FlukeStore
import Foundation

/// The catalog as reviewers browse it: each individual with its photos and sighting history.
struct CatalogPage {
    static let pageSize = 60

    var search: String
    var individuals: [IndividualSummary]
    var total: Int

    func body() -> HTML {
        let shown = individuals.count < total
            ? "Showing \(individuals.count) of \(total) individuals; narrow the search to see the rest."
            : "\(total) individual\(total == 1 ? "" : "s")"
        let rows = individuals.map(row)
        return """
            <form class="search" method="get" action="/catalog"><h1>Catalog</h1>\
            <input name="q" value="\(search)" placeholder="ID or name" size="28" autofocus><button type="submit">Search</button>\
            <span class="facts">\(shown)</span></form>\
            \(rows.isEmpty ? HTML(raw: "<div class=\"empty\">No individual matches.</div>") : rows.joined())
            """
    }

    private func row(_ i: IndividualSummary) -> HTML {
        var photos = i.photos.map { "<img src=\"/images/catalog/\($0.id)/crop\" alt=\"\(i.id) catalog photo\" loading=\"lazy\">" as HTML }
        // A provisional individual has no catalog photos yet: its sightings are all there is.
        if photos.isEmpty {
            photos = i.sightings.prefix(6).map { "<img src=\"/images/sighting/\($0.sightingID)/crop\" alt=\"\(i.id) sighting #\($0.sightingID)\" loading=\"lazy\">" as HTML }
        }
        let history = i.sightings.prefix(8).map { s -> HTML in
            "<li><a href=\"/sightings/\(s.sightingID)\">#\(s.sightingID)</a> \(ReviewFormat.captureTime(s.capturedAt)) · \(s.camera)\(s.reviewedBy.map { " · \($0)" } ?? "")</li>"
        }
        let more: HTML = i.sightings.count > 8 ? "<li>and \(i.sightings.count - 8) earlier</li>" : ""
        return """
            <section class="cat" id="\(i.id)"><div><h2>\(i.id) <small>\(i.name ?? "")</small></h2>\
            \(i.isProvisional ? HTML(raw: "<span class=\"badge new\">provisional</span> ") : "")\
            <div class="facts">\(i.photoCount) catalog photo\(i.photoCount == 1 ? "" : "s") · \(i.sightings.count) confirmed sighting\(i.sightings.count == 1 ? "" : "s")</div>\
            \(history.isEmpty ? "" : HTML(raw: "<ul>\(history.joined().raw)\(more.raw)</ul>"))</div>\
            <div class="photos">\(photos.isEmpty ? HTML(raw: "<img src=\"/images/placeholder\" alt=\"no photo\">") : photos.joined())</div></section>
            """
    }
}

/// Login, errors and the empty queue.
enum SimplePages {
    static func login(reviewer: String?, needsToken: Bool, message: String?, csrfFree: Bool = true) -> HTML {
        let tokenField: HTML = needsToken
            ? "<label>Station password<input type=\"password\" name=\"token\" required autocomplete=\"current-password\"></label>"
            : ""
        let note: HTML = message.map { "<p class=\"facts\" role=\"alert\">\($0)</p>" } ?? ""
        return """
            <div class="panel"><h1>Review sightings</h1><p class="facts">Decisions are recorded under your name, can be undone, \
            and go to the hub with the next sync.</p>\(note)\
            <form method="post" action="/login"><label>Your name<input name="reviewer" value="\(reviewer ?? "")" required autofocus autocomplete="name"></label>\
            \(tokenField)<button type="submit" class="go">Start reviewing</button></form></div>
            """
    }

    static func error(status: Int, title: String, message: String, back: String?) -> HTML {
        """
        <div class="panel error"><h1>\(title)</h1><p>\(message)</p>\
        <p>\(back.map { HTML(raw: "<a href=\"\(HTML.escape($0))\">Back</a> · ") } ?? "")<a href="/">Review queue</a> · <a href="/catalog">Catalog</a></p>\
        <p class="facts">HTTP \(status)</p></div>
        """
    }

    static func emptyQueue(flash: String?, undoTarget: UndoTarget?, csrf: String) -> HTML {
        let undo: HTML = undoTarget.map {
            "<form id=\"undo\" method=\"post\" action=\"\($0.action)\"><input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\"><button type=\"submit\">Undo \($0.label) <kbd>U</kbd></button></form>"
        } ?? ""
        return """
            \(flash.map { HTML(raw: "<div class=\"flash\" role=\"status\">\(HTML.escape($0))</div>") } ?? "")\
            <div class="empty"><h1>Nothing waiting for review</h1><p class="facts">New sightings appear here as the station \
            processes photos. Browse the <a href="/catalog">catalog</a> meanwhile.</p>\(undo)</div>
            """
    }

    static let undoScript: HTML = """
        document.addEventListener('keydown',function(e){if(e.target.closest('input,select,textarea')||e.ctrlKey||e.metaKey||e.altKey)return;
        if(e.key==='u'||e.key==='U'){var f=document.getElementById('undo');if(f){e.preventDefault();f.submit();}}});
        """
}
