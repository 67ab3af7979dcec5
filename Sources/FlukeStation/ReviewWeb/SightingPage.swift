import FlukeStore
import Foundation

/// The review page for one sighting: its encounter's photos, the photo beside its candidates
/// at one scale, and the decisions with their keyboard shortcuts.
struct SightingPage {
    struct Candidate {
        var rank: Int
        var individual: String
        var name: String?
        var score: Double
        /// Image URLs on this server: catalog photos, else the individual's confirmed sightings.
        var photos: [String]
        var photoCount: Int
        var sightingCount: Int
        var lastSeen: String?
    }

    /// The banner after a decision, with what Undo would revert.
    struct Flash {
        var text: String
        var undone: Bool
    }

    var item: ReviewItem
    var group: EncounterGroup
    var openIndex: Int?
    var openTotal: Int
    var next: Int64?
    var previous: Int64?
    var candidates: [Candidate]
    var flash: Flash?
    /// What U reverts: the sighting or encounter just decided, or this sighting when it is decided.
    var undoTarget: UndoTarget?
    var choices: [(id: String, name: String?)]
    var csrf: String
    var decidedSummary: String?
    /// The thresholds in force for this sighting's model: (new below, match from).
    var thresholds: (new: Double, match: Double)?

    /// Colours a score as the station would call it.
    private func band(_ score: Double) -> String {
        guard let t = thresholds else { return "" }
        return score >= t.match ? "hi" : score >= t.new ? "mid" : "low"
    }

    func body() -> HTML {
        let l = item.listing
        var parts: [HTML] = []
        if let flash {
            parts.append("""
                <div class="flash\(flash.undone ? HTML(raw: " undone") : "")" role="status">\(flash.text)\
                \(undoTarget != nil && !flash.undone ? HTML(raw: "<button type=\"submit\" form=\"undo\">Undo <kbd>U</kbd></button>") : "")</div>
                """)
        }
        parts.append(encounter())
        let cards = [queryCard()] + candidates.map(candidateCard)
        let blanks = Array(repeating: HTML(raw: "<div></div>"), count: max(0, 5 - candidates.count))
        parts.append("<section class=\"compare\" aria-label=\"Photo and candidates at the same scale\">\(cards + blanks)</section>")
        parts.append(actions())
        parts.append("""
            <footer class="keys"><span><kbd>1</kbd>–<kbd>5</kbd> pick candidate</span><span><kbd>Enter</kbd> confirm</span>\
            <span><kbd>N</kbd> new individual</span><span><kbd>R</kbd> reject</span><span><kbd>U</kbd> undo</span>\
            <span><kbd>J</kbd> / <kbd>K</kbd> next / previous</span><span><kbd>/</kbd> find an individual</span>\
            \(thresholds.map { HTML(raw: "<span>Scores: match from \(ReviewFormat.score($0.match)), new below \(ReviewFormat.score($0.new))</span>") } ?? "")\
            <span>Sighting #\(l.id) · \(l.path)</span></footer>
            """)
        return parts.joined()
    }

    private func encounter() -> HTML {
        let first = group.items.first!.listing, last = group.items.last!.listing
        let span = ReviewFormat.day(first.capturedAt) + " " + ReviewFormat.clock(first.capturedAt)
            + (group.items.count > 1 ? "–" + ReviewFormat.clock(last.capturedAt) : "")
        let title = group.isAssigned ? "Encounter" : "Encounter (by camera and time)"
        let strip = group.items.map { i -> HTML in
            let cls = [i.id == item.id ? "cur" : nil, i.isOpen ? nil : "done"].compactMap { $0 }.joined(separator: " ")
            return """
                <li class="\(cls)"><a href="/sightings/\(i.id)" title="#\(i.id) \(i.listing.decision) · \(i.listing.reviewState)">\
                <img src="/images/sighting/\(i.id)" alt="" loading="lazy"><span>#\(i.id)</span><b class="\(i.listing.decision)"></b></a></li>
                """
        }
        let position: HTML = openIndex.map { "\($0 + 1) of \(openTotal) open" } ?? "\(openTotal) open"
        let call: HTML = item.details?.encounterCall.map { " · station's call on the encounter: \($0)" } ?? ""
        return """
            <section class="enc"><div class="enc-head"><h1>\(title) · \(group.camera)</h1>\
            <span class="sub">\(span) · \(group.items.count) photo\(group.items.count == 1 ? "" : "s") · \(group.openCount) open\(call)</span>\
            <span class="walk">\(link(previous, "‹ K", id: "prev"))\(position)\(link(next, "J ›", id: "next"))</span></div>\
            <ol class="strip">\(strip)</ol>\(encounterActions())</section>
            """
    }

    /// One decision for every open photo of an assigned encounter of several photos: a burst
    /// is one whale, so the reviewer who has looked at the strip need not decide each frame.
    private func encounterActions() -> HTML {
        guard group.isAssigned, group.items.count > 1, group.openCount > 0, let encounter = item.details?.encounterID else { return "" }
        let csrfField: HTML = "<input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\">"
        let open = group.openCount
        let photos: HTML = "\(open) open photo\(open == 1 ? "" : "s")"
        var forms: [HTML] = []
        if let leader = item.details?.encounterIndividual {
            let label = ReviewFormat.individual(leader, choices.first { $0.id == leader }?.name ?? nil)
            forms.append("""
                <form method="post" action="/encounters/\(encounter)/confirm">\(csrfField)\
                <input type="hidden" name="individual" value="\(leader)"><button type="submit">Confirm all \(photos) as \(label)</button></form>
                """)
        }
        forms.append("""
            <form method="post" action="/encounters/\(encounter)/new">\(csrfField)<button type="submit">All \(photos): one new individual</button></form>
            """)
        return "<div class=\"enc-actions\">\(forms)</div>"
    }

    private func link(_ target: Int64?, _ label: String, id: String) -> HTML {
        guard let target else { return "" }
        return "<a id=\"\(id)\" href=\"/sightings/\(target)\">\(label)</a>"
    }

    private func queryCard() -> HTML {
        let l = item.listing, d = item.details
        let (when, zone) = ReviewFormat.captureTimeParts(l.capturedAt)
        var facts: [HTML] = ["<dt>Captured</dt><dd>\(when) <small>\(zone)\(d?.captureTimeSource == "file-mtime" ? " · file time: the camera wrote none" : "")</small></dd>"]
        facts.append("<dt>Camera</dt><dd>\(l.camera)\(ReviewFormat.cameraModel(d).map { " · \($0)" } ?? "")</dd>")
        facts.append("<dt>Position</dt><dd>\(ReviewFormat.position(d) ?? "not recorded")</dd>")
        if let problems = d?.unusableBecause, !problems.isEmpty {
            facts.append("<dt>Unusable</dt><dd>\(problems.joined(separator: "; ")) — the station did not decide; you do</dd>")
        }
        return """
            <article class="card query"><div class="frame"><img src="/images/sighting/\(l.id)/crop" alt="Sighting #\(l.id), its fluke">\
            <span class="tag">This photo</span></div><div class="meta"><h2>#\(l.id) <span class="badge \(l.decision)">\(l.decision)</span>\
            \(l.reviewState == "open" ? "" : HTML(raw: " <span class=\"badge \(HTML.escape(l.reviewState))\">\(HTML.escape(l.reviewState))</span>"))</h2>\
            <dl>\(facts)</dl></div></article>
            """
    }

    private func candidateCard(_ c: Candidate) -> HTML {
        let photos = c.photos.isEmpty ? ["/images/placeholder"] : c.photos
        let pager: HTML = photos.count > 1
            ? "<span class=\"pager\"><button type=\"button\" data-step=\"-1\" aria-label=\"previous photo\">‹</button><span>1/\(photos.count)</span><button type=\"button\" data-step=\"1\" aria-label=\"next photo\">›</button></span>"
            : ""
        var facts = "\(c.photoCount) catalog photo\(c.photoCount == 1 ? "" : "s")"
        if c.sightingCount > 0 { facts += " · seen \(c.sightingCount)×" }
        if let last = c.lastSeen { facts += ", last \(ReviewFormat.day(last))" }
        let selected = c.rank == 1 && item.isOpen
        return """
            <article class="card cand\(selected ? HTML(raw: " sel") : "")" data-candidate="\(c.individual)" \
            data-label="\(ReviewFormat.individual(c.individual, c.name))" data-photos="\(photos.joined(separator: " "))">\
            <div class="frame"><img src="\(photos[0])" alt="\(c.individual)" loading="lazy"><span class="key">\(c.rank)</span>\(pager)</div>\
            <div class="meta"><h3>\(c.individual) <small>\(c.name ?? "")</small></h3>\
            <div class="score"><b>\(ReviewFormat.score(c.score))</b><span class="bar"><i class="\(band(c.score))" style="width:\(ReviewFormat.percent(c.score))"></i></span></div>\
            <div class="facts">\(facts)</div></div></article>
            """
    }

    private func actions() -> HTML {
        let id = item.id
        let csrfField: HTML = "<input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\">"
        let undo: HTML = """
            <form id="undo" method="post" action="\(undoTarget?.action ?? "/sightings/\(id)/undo")">\(csrfField)\
            <button type="submit"\(undoTarget == nil ? HTML(raw: " disabled") : "")>Undo\(undoTarget.map { " \($0.label)" } ?? "") <kbd>U</kbd></button></form>
            """
        guard item.isOpen else {
            return "<section class=\"actions\"><span class=\"state\">\(decidedSummary ?? item.listing.reviewState)</span><span class=\"sep\"></span>\(undo)</section>"
        }
        let top = candidates.first
        let options = choices.map { "<option value=\"\($0.id)\">\($0.name ?? "")</option>" as HTML }
        return """
            <section class="actions">\
            <form id="confirm" method="post" action="/sightings/\(id)/confirm">\(csrfField)\
            <input type="hidden" name="individual" id="pick" value="\(top?.individual ?? "")">\
            <button type="submit" class="go"\(top == nil ? HTML(raw: " disabled") : "")>Confirm <span id="pick-label">\(top.map { ReviewFormat.individual($0.individual, $0.name) } ?? "a candidate")</span> <kbd>Enter</kbd></button></form>\
            <span class="sep"></span>\
            <form id="assign" method="post" action="/sightings/\(id)/confirm">\(csrfField)\
            <input name="individual" id="search" list="individuals" placeholder="Other whale: ID or name" required size="22" autocomplete="off">\
            <button type="submit">Assign</button></form><datalist id="individuals">\(options)</datalist>\
            <span class="sep"></span>\
            <form id="new" method="post" action="/sightings/\(id)/new">\(csrfField)\
            <input name="name" placeholder="Name (optional)" size="14" autocomplete="off"><button type="submit">New individual <kbd>N</kbd></button></form>\
            <span class="sep"></span>\
            <form id="reject" method="post" action="/sightings/\(id)/reject">\(csrfField)\
            <select name="reason" aria-label="Reason"><option>no fluke</option><option>unusable</option><option>too blurred</option><option>fluke too small</option></select>\
            <button type="submit" class="warn">Reject <kbd>R</kbd></button></form>\
            <span class="sep"></span>\(undo)</section>
            """
    }

    /// Keyboard shortcuts and the candidates' photo pagers. Plain DOM, no library.
    static let script: HTML = """
        (function(){
        var cards=[].slice.call(document.querySelectorAll('[data-candidate]'));
        var pick=document.getElementById('pick'),label=document.getElementById('pick-label');
        function select(i){if(!pick||!cards[i])return;cards.forEach(function(c,j){c.classList.toggle('sel',i===j)});
        pick.value=cards[i].dataset.candidate;label.textContent=cards[i].dataset.label;}
        cards.forEach(function(card,i){
          card.addEventListener('click',function(e){if(!e.target.closest('.pager'))select(i)});
          var urls=card.dataset.photos.split(' '),at=0,img=card.querySelector('img'),n=card.querySelector('.pager span');
          card.querySelectorAll('.pager button').forEach(function(b){b.addEventListener('click',function(){
            at=(at+Number(b.dataset.step)+urls.length)%urls.length;img.src=urls[at];n.textContent=(at+1)+'/'+urls.length;});});
        });
        function submit(id){var f=document.getElementById(id);var b=f&&f.querySelector('button');if(b&&!b.disabled){b.disabled=true;f.submit();}}
        function go(id){var a=document.getElementById(id);if(a)location.href=a.href;}
        document.addEventListener('keydown',function(e){
          if(e.ctrlKey||e.metaKey||e.altKey)return;
          if(e.target.closest('input,select,textarea')){if(e.key==='Escape')e.target.blur();return;}
          var k=e.key.length===1?e.key.toLowerCase():e.key;
          if(/^[1-5]$/.test(k))select(Number(k)-1);
          else if(k==='Enter')submit('confirm');
          else if(k==='n')submit('new');
          else if(k==='r')submit('reject');
          else if(k==='u')submit('undo');
          else if(k==='j')go('next');
          else if(k==='k')go('prev');
          else if(k==='/'){var s=document.getElementById('search');if(s)s.focus();}
          else return;
          e.preventDefault();
        });
        })();
        """
}
