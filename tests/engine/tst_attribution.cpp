// Attribution (issue #20): the engine's reverse mode against PyTorch's autograd on every golden
// family model (tests/golden/attribution.json, from tools/make_golden_attribution.py), the five
// methods' values, integrated gradients' completeness, and the agreement measures by hand.
#include <attnviz/analysis/attribution.h>
#include <attnviz/decoding/translate.h>
#include <attnviz/models/model.h>

#include "finitedifferences.h"

#include <nlohmann/json.hpp>

#include <QTest>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

using namespace attnviz;
using nlohmann::json;

namespace {

json readJson(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
}

const json &golden()
{
    static const json data = readJson(ATTNVIZ_GOLDEN_DIR "/attribution.json");
    return data;
}

// |a - b| within tol, relative for large values; NaN equals NaN (leave-one-out of one token).
bool near(double a, double b, double tol)
{
    if (std::isnan(a) || std::isnan(b))
        return std::isnan(a) && std::isnan(b);
    return std::abs(a - b) <= tol * std::max(1.0, std::abs(b));
}

double numberOf(const json &v)
{
    return v.is_null() ? std::nan("") : v.get<double>();
}

} // namespace

class TestAttribution : public QObject
{
    Q_OBJECT

private slots:
    void againstAutograd_data()
    {
        QTest::addColumn<int>("index");
        const json &cases = golden()["cases"];
        QVERIFY(cases.size() >= 16);
        for (size_t k = 0; k < cases.size(); ++k)
            QTest::newRow(cases[k]["model"].get<std::string>().c_str()) << int(k);
    }

    void againstAutograd()
    {
        QFETCH(int, index);
        const json &c = golden()["cases"][size_t(index)];
        const auto model = Model::fromFile(ATTNVIZ_SOURCE_DIR "/" + c["model"].get<std::string>());
        const auto source = c["source_ids"].get<std::vector<int>>();
        const auto target = c["target_ids"].get<std::vector<int>>();

        const SourceGradients g = sourceGradients(*model, source, target);
        QCOMPARE(g.logProbs.size(), target.size());
        for (size_t i = 0; i < target.size(); ++i) {
            QVERIFY(near(g.logProbs[i], c["log_probs"][i].get<double>(), 1e-9));
            const json &rows = c["gradients"][i];
            for (size_t j = 0; j < source.size(); ++j)
                for (size_t k = 0; k < rows[j].size(); ++k)
                    QVERIFY2(near(g.gradients[i](Eigen::Index(j), Eigen::Index(k)), rows[j][k].get<double>(), 1e-9),
                             qPrintable(QStringLiteral("step %1, source %2, dim %3").arg(i).arg(j).arg(k)));
        }

        // The tape's forward is the engine's: the same log p as forced decoding, and the same
        // source, as the family golden that tst_golden holds the engine to.
        std::string familyPath = c["model"].get<std::string>();
        familyPath = familyPath.substr(0, familyPath.size() - std::string(".safetensors").size()) + ".json";
        const json family = readJson(ATTNVIZ_SOURCE_DIR "/" + familyPath)["cases"][0];
        const TranslationResult r = translate(*model, family["sentence"].get<std::string>(), [&] {
            DecodeOptions forced;
            forced.target = family["forced"]["target"].get<std::string>();
            return forced;
        }());
        QCOMPARE(r.sourceIds, source);
        QCOMPARE(r.best().targetIds, target);
        for (size_t i = 0; i < target.size(); ++i)
            QVERIFY(std::abs(r.best().logProbs[i] - g.logProbs[i]) < 1e-5);

        for (const char *name : {"occlusion", "leave-one-out", "gradient", "input-x-gradient", "integrated-gradients"}) {
            AttributionOptions options;
            QVERIFY(parseAttributionMethod(name, &options.method));
            options.steps = golden()["integrated_gradients_steps"].get<int>();
            const Attribution a = attribute(*model, source, target, options);
            QCOMPARE(a.values.rows(), Eigen::Index(target.size()));
            QCOMPARE(a.values.cols(), Eigen::Index(source.size()));
            for (size_t i = 0; i < target.size(); ++i)
                for (size_t j = 0; j < source.size(); ++j)
                    QVERIFY2(near(a.values(Eigen::Index(i), Eigen::Index(j)), numberOf(c[name][i][j]), 1e-8),
                             qPrintable(QStringLiteral("%1: step %2, source %3: %4 vs %5")
                                            .arg(QLatin1String(name)).arg(i).arg(j)
                                            .arg(a.values(Eigen::Index(i), Eigen::Index(j)))
                                            .arg(numberOf(c[name][i][j]))));
            if (options.method == AttributionMethod::IntegratedGradients)
                for (size_t i = 0; i < target.size(); ++i)
                    QVERIFY(near(a.completenessTarget[i], c["completeness_target"][i].get<double>(), 1e-9));
        }
    }

    // Central finite differences of the tape's own forward against its reverse mode, for every
    // cell, scorer, initial-state rule and decoder input of the golden family (independent of
    // PyTorch): perturb a few embedding coordinates of each source position.
    void finiteDifferences_data() { againstAutograd_data(); }

    void finiteDifferences()
    {
        QFETCH(int, index);
        const json &c = golden()["cases"][size_t(index)];
        const auto model = Model::fromFile(ATTNVIZ_SOURCE_DIR "/" + c["model"].get<std::string>());
        const auto source = c["source_ids"].get<std::vector<int>>();
        const auto target = c["target_ids"].get<std::vector<int>>();
        const QString error = attnviz::test::finiteDifferenceError(*model, source, target, 3, 1);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    // Integrated gradients' sum approaches log p(x) - log p(0) as the steps grow: a right
    // Riemann sum's error shrinks about as 1/m.
    void completenessImprovesWithSteps()
    {
        const auto model = Model::fromFile(ATTNVIZ_SOURCE_DIR "/tests/golden/family-joey.safetensors");
        const TranslationResult r = translate(*model, "i am cold .", {});
        double previous = INFINITY, first = 0;
        for (const int steps : {4, 16, 64}) {
            AttributionOptions options;
            options.steps = steps;
            const Attribution a = attribute(*model, r.sourceIds, r.best().targetIds, options);
            double error = 0;
            for (size_t i = 0; i < a.completenessSum.size(); ++i)
                error += std::abs(a.completenessSum[i] - a.completenessTarget[i]);
            QVERIFY2(error < previous, qPrintable(QString::number(error)));
            if (steps == 4)
                first = error;
            previous = error;
        }
        QVERIFY2(previous < first / 8, qPrintable(QStringLiteral("%1 at 4 steps, %2 at 64").arg(first).arg(previous)));
    }

    void cancelAndProgress()
    {
        const auto model = Model::fromFile(ATTNVIZ_SOURCE_DIR "/tests/golden/family-joey.safetensors");
        const TranslationResult r = translate(*model, "i am cold .", {});
        AttributionOptions options;
        options.steps = 10;
        std::vector<double> seen;
        options.progress = [&](double done) { seen.push_back(done); };
        options.cancelled = [&] { return seen.size() > 3; };
        const Attribution stopped = attribute(*model, r.sourceIds, r.best().targetIds, options);
        QVERIFY(stopped.cancelled);
        QCOMPARE(seen.size(), size_t(4));
        QVERIFY(stopped.completenessSum.empty());
        seen.clear();
        options.cancelled = {};
        const Attribution done = attribute(*model, r.sourceIds, r.best().targetIds, options);
        QVERIFY(!done.cancelled);
        QCOMPARE(seen.size(), size_t(11)); // before each of the 10 steps, and 1 at the end
        QVERIFY(std::is_sorted(seen.begin(), seen.end()));
        QCOMPARE(seen.back(), 1.0);
    }

    void agreementByHand()
    {
        Eigen::VectorXd alpha(4), attribution(4);
        alpha << 0.1, 0.2, 0.3, 0.4;
        attribution << -1.0, 2.0, 3.0, -4.0; // by magnitude 1, 2, 3, 4: the same order
        RowAgreement r = rowAgreement(alpha, attribution);
        QVERIFY(std::abs(r.spearman - 1) < 1e-12);
        QVERIFY(std::abs(r.kendall - 1) < 1e-12);
        QVERIFY(r.top1);
        QVERIFY(std::abs(r.jsd) < 1e-12); // |a| / 10 = alpha exactly

        attribution << 4.0, 3.0, 2.0, 1.0; // reversed
        r = rowAgreement(alpha, attribution);
        QVERIFY(std::abs(r.spearman + 1) < 1e-12);
        QVERIFY(std::abs(r.kendall + 1) < 1e-12);
        QVERIFY(!r.top1);
        // JSD of (.1 .2 .3 .4) and (.4 .3 .2 .1), by hand: m = (.25 .25 .25 .25);
        // KL(p || m) = sum p ln(4p) = .1 ln .4 + .2 ln .8 + .3 ln 1.2 + .4 ln 1.6, the same for q.
        const double kl = 0.1 * std::log(0.4) + 0.2 * std::log(0.8) + 0.3 * std::log(1.2) + 0.4 * std::log(1.6);
        QVERIFY(std::abs(r.jsd - kl) < 1e-12);

        // Ties: Spearman with average ranks, Kendall's tau-b.
        alpha << 0.25, 0.25, 0.25, 0.25;
        attribution << 1, 2, 3, 4;
        r = rowAgreement(alpha, attribution);
        QCOMPARE(r.spearman, 0.0);
        QCOMPARE(r.kendall, 0.0);
        alpha << 0.1, 0.1, 0.3, 0.5;
        attribution << 1, 2, 3, 4;
        r = rowAgreement(alpha, attribution);
        // ranks (1.5 1.5 3 4) vs (1 2 3 4): Pearson = 4.5 / sqrt(4.5 * 5)
        QVERIFY(std::abs(r.spearman - 4.5 / std::sqrt(4.5 * 5.0)) < 1e-12);
        // 5 concordant pairs, 0 discordant, 1 tie in alpha only: 5 / sqrt(5 * 6)
        QVERIFY(std::abs(r.kendall - 5 / std::sqrt(30.0)) < 1e-12);

        // An all-zero attribution row counts as uniform: JSD((1 0), (½ ½)) = ¾ ln(4/3), the
        // value analysis/compare.h's jensenShannon gives (the one implementation).
        Eigen::VectorXd a2(2), b2(2);
        a2 << 1, 0;
        b2 << 0, 0;
        QVERIFY(std::abs(rowAgreement(a2, b2).jsd - 0.75 * std::log(4.0 / 3.0)) < 1e-15);
    }

    void refusals()
    {
        const auto model = Model::fromFile(ATTNVIZ_SOURCE_DIR "/tests/golden/family-joey.safetensors");
        QVERIFY_THROWS_EXCEPTION(InputError, attribute(*model, {}, {1}));
        QVERIFY_THROWS_EXCEPTION(InputError, attribute(*model, {1}, {}));
        QVERIFY_THROWS_EXCEPTION(InputError, attribute(*model, {100000}, {1}));
        AttributionMethod m;
        QVERIFY(!parseAttributionMethod("saliency", &m));
        QVERIFY(parseAttributionMethod("leave-one-out", &m) && m == AttributionMethod::LeaveOneOut);
        QVERIFY(!isSignedAttribution(AttributionMethod::Gradient));
    }
};

QTEST_GUILESS_MAIN(TestAttribution)
#include "tst_attribution.moc"
