/// Evaluation metrics of the identification step.
///
/// MAP@5 follows the Kaggle humpback competition: each query's prediction is a list of five
/// labels in which `new_whale` is a label like any other; a query scores 1/rank of the first
/// correct label, 0 if it is absent. The threshold decides where `new_whale` goes: it acts as a
/// candidate scoring exactly the threshold, placed after every candidate scoring at or above it.
/// So with a best score below the threshold `new_whale` comes first (the 'new individual' call).
public enum Metrics {
    public static let newIndividualLabel = "new_whale"

    /// The five-label Kaggle prediction for ranked candidates (best first).
    public static func kagglePrediction(candidates: [IndividualScore], newThreshold: Float) -> [String] {
        var labels = candidates.filter { $0.score >= newThreshold }.map(\.individual)
        labels.append(newIndividualLabel)
        labels += candidates.filter { !($0.score >= newThreshold) }.map(\.individual)
        return Array(labels.prefix(5))
    }

    /// 1/rank of the first correct label in a five-label prediction, 0 if absent.
    public static func averagePrecision(prediction: [String], truth: QueryTruth) -> Double {
        let label: String
        switch truth {
        case .known(let id): label = id
        case .new: label = newIndividualLabel
        }
        guard let i = prediction.prefix(5).firstIndex(of: label) else { return 0 }
        return 1 / Double(i + 1)
    }

    /// All metrics at one new-individual threshold. `cmcDepth` ranks are reported in `cmc` (at
    /// most as many as candidates were kept per query).
    public static func report(_ outcomes: [QueryOutcome], newThreshold: Float, cmcDepth: Int = 5) -> MetricsReport {
        var apSum = 0.0, apKnown = 0.0, apNew = 0.0
        var known = 0, new = 0, predictedNew = 0, truePredictedNew = 0
        var hitsAt = [Int](repeating: 0, count: max(cmcDepth, 5))
        for outcome in outcomes {
            // A photo that may not be called new lists new_whale after every candidate.
            let prediction = kagglePrediction(candidates: outcome.candidates,
                                              newThreshold: outcome.mayBeNew ? newThreshold : -.infinity)
            let ap = averagePrecision(prediction: prediction, truth: outcome.truth)
            apSum += ap
            let callsNew = outcome.callsNew(newThreshold: newThreshold)
            if callsNew { predictedNew += 1 }
            switch outcome.truth {
            case .new:
                new += 1
                apNew += ap
                if callsNew { truePredictedNew += 1 }
            case .known:
                known += 1
                apKnown += ap
                if let r = outcome.rankOfTruth, r <= hitsAt.count {
                    for k in (r - 1)..<hitsAt.count { hitsAt[k] += 1 }
                }
            }
        }
        let cmc = hitsAt.map { known > 0 ? Double($0) / Double(known) : 0 }
        return MetricsReport(
            map5: outcomes.isEmpty ? 0 : apSum / Double(outcomes.count),
            map5Known: known > 0 ? apKnown / Double(known) : 0,
            map5New: new > 0 ? apNew / Double(new) : 0,
            map5IfAllNew: outcomes.isEmpty ? 0 : Double(new) / Double(outcomes.count),
            top1: cmc[0], top5: cmc[4], cmc: Array(cmc.prefix(cmcDepth)),
            newPrecision: predictedNew > 0 ? Double(truePredictedNew) / Double(predictedNew) : 0,
            newRecall: new > 0 ? Double(truePredictedNew) / Double(new) : 0,
            queries: outcomes.count, knownQueries: known, newQueries: new, predictedNew: predictedNew,
            newThreshold: newThreshold)
    }
}
