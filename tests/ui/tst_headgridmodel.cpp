// HeadGridModel (#23): the Heads grid's clicks, keys and presets, as views of ResultSelection.
#include "alignmentsession.h"
#include "headalignmentmodel.h"
#include "headgridmodel.h"
#include "resultselection.h"

#include "testmodels.h"

#include <attnviz/analysis/word_units.h>
#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_import.h>
#include <attnviz/models/model.h>

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace attnviz;

namespace {

TranslationOutput translated(std::shared_ptr<const Model> model, int beam = 1, bool selfAttention = false)
{
    DecodeOptions options;
    options.beamWidth = beam;
    options.selfAttention = selfAttention;
    TranslationOutput output;
    output.model = model;
    output.result = std::make_shared<TranslationResult>(translate(*model, "i am cold", options));
    return output;
}

} // namespace

class TestHeadGridModel : public QObject
{
    Q_OBJECT

private slots:
    void rnnHasNoHeads();
    void clicksChooseTheView();
    void keyboardCursor();
    void presets();
    void selfAttentionViews();
    void selfAttentionInWords();
    void thumbnailsInWords();
    void aerTableModel();
};

void TestHeadGridModel::rnnHasNoHeads()
{
    ResultSelection selection;
    HeadGridModel grid(&selection);
    QVERIFY(!grid.available());
    QVERIFY(grid.note().contains(QStringLiteral("No translation")));
    const auto rnn = std::make_shared<const Model>(test::makeRandomModel(Architecture::Bahdanau));
    selection.setOutput(translated(rnn));
    QVERIFY(!grid.available());
    QCOMPARE(grid.layers(), 0);
    QVERIFY(grid.note().contains(QStringLiteral("RNN")));
    QVERIFY(!grid.crossAttention(0, 0));
    grid.clickHead(0, 0, Qt::NoModifier); // nothing to do, nothing thrown
    QVERIFY(grid.presetNames().isEmpty());
}

void TestHeadGridModel::clicksChooseTheView()
{
    ResultSelection selection;
    HeadGridModel grid(&selection);
    selection.setOutput(translated(std::make_shared<const Model>(test::makeTransformerModel(3, 4)), 2));
    QVERIFY(grid.available());
    QCOMPARE(grid.layers(), 3);
    QCOMPARE(grid.heads(), 4);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 3, mean of 4 heads"));
    QVERIFY(grid.isSelected(2, 0) && grid.isSelected(2, 3) && !grid.isSelected(1, 0));
    QSignalSpy changed(&grid, &HeadGridModel::changed);

    grid.clickHead(1, 2, Qt::NoModifier);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, head 3"));
    QVERIFY(grid.isSelected(1, 2) && !grid.isSelected(2, 0));
    QVERIFY((selection.hypothesis()->attention - *grid.crossAttention(1, 2)).cwiseAbs().maxCoeff() == 0.0f);
    // Ctrl adds a head of the same layer: the heatmap is their mean.
    grid.clickHead(1, 0, Qt::ControlModifier);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, heads 1, 3"));
    const MatrixRM mean = (*grid.crossAttention(1, 0) + *grid.crossAttention(1, 2)) / 2.0f;
    QVERIFY((selection.hypothesis()->attention - mean).cwiseAbs().maxCoeff() < 1e-6f);
    // Shift on a selected head takes it out; the last one stays.
    grid.clickHead(1, 2, Qt::ShiftModifier);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, head 1"));
    grid.clickHead(1, 0, Qt::ShiftModifier);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, head 1"));
    // Ctrl on another layer starts there.
    grid.clickHead(0, 3, Qt::ControlModifier);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 1, head 4"));
    grid.clickLayer(0);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 1, mean of 4 heads"));
    grid.selectAllLayers();
    QCOMPARE(grid.viewName(), QStringLiteral("all 3 layers, mean of 12 heads"));
    QVERIFY(grid.isSelected(0, 0) && grid.isSelected(2, 3));
    QVERIFY(changed.count() >= 7);
    // The second beam's heads are its own.
    selection.selectHypothesis(1);
    QVERIFY(grid.crossAttention(0, 0) == &selection.result()->hypotheses[1].crossAttention.at(0, 0));
}

void TestHeadGridModel::keyboardCursor()
{
    ResultSelection selection;
    HeadGridModel grid(&selection);
    selection.setOutput(translated(std::make_shared<const Model>(test::makeTransformerModel(2, 4))));
    QCOMPARE(grid.cursor(), QPoint(0, 0));
    grid.moveCursor(0, 1, false);
    grid.moveCursor(5, 0, false); // clamped to the last layer
    QCOMPARE(grid.cursor(), QPoint(1, 1));
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, mean of 4 heads")); // moving alone selects nothing
    grid.activateCursor(Qt::NoModifier);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, head 2"));
    grid.moveCursor(0, 1, true); // Shift+Right extends
    grid.moveCursor(0, 1, true);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, heads 2, 3, 4"));
    grid.moveCursor(0, -1, true); // back onto a selected head: kept
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, heads 2, 3, 4"));
    grid.moveCursor(0, -10, false);
    QCOMPARE(grid.cursor(), QPoint(0, 1));
}

void TestHeadGridModel::presets()
{
    ResultSelection selection;
    HeadGridModel grid(&selection);
    ModelFile file = test::makeTransformerModel(2, 4);
    file.config.transformer.toolkit = "marian";
    selection.setOutput(translated(std::make_shared<const Model>(file)));
    const QStringList names = grid.presetNames();
    QCOMPARE(names.size(), 3);
    QCOMPARE(names.front(), QStringLiteral("Marian's alignment: last layer, head 1"));
    QCOMPARE(names.back(), QStringLiteral("All layers, mean of heads"));
    QCOMPARE(grid.presetIndex(), 1); // decoded with the engine's default: the last layer's mean
    grid.applyPreset(int(names.size()) - 1);
    QVERIFY(grid.view().allLayers);
    QCOMPARE(grid.presetIndex(), int(names.size()) - 1);
    grid.clickHead(0, 1, Qt::NoModifier);
    QCOMPARE(grid.presetIndex(), -1);
    grid.applyPreset(0);
    QCOMPARE(grid.presetIndex(), 0);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, head 1"));
}

// The grid's maps and the heatmap's matrix of each attention kind are the result's own.
void TestHeadGridModel::selfAttentionViews()
{
    ResultSelection selection;
    HeadGridModel grid(&selection);
    selection.setOutput(translated(std::make_shared<const Model>(test::makeTransformerModel(2, 4)), 2));
    selection.setAttentionKind(AttentionKind::EncoderSelf);
    QVERIFY(grid.waitsForSelfAttention()); // decoded without it
    QVERIFY(!grid.attentionMap(0, 0));
    QVERIFY(!selfAttentionView(*selection.pieceOutput().result, 0, AttentionKind::EncoderSelf, selection.view()));

    selection.setOutput(translated(std::make_shared<const Model>(test::makeTransformerModel(2, 4)), 2, true));
    QCOMPARE(selection.attentionKind(), AttentionKind::EncoderSelf); // kept for the next output
    QVERIFY(!grid.waitsForSelfAttention());
    const TranslationResult &r = *selection.pieceOutput().result;
    QVERIFY(grid.attentionMap(1, 2) == &r.encoderSelfAttention.at(1, 2));
    HeadSelection head;
    head.layer = 0;
    head.heads = {1};
    auto encoder = selfAttentionView(r, 0, AttentionKind::EncoderSelf, head);
    QVERIFY(encoder);
    QCOMPARE(encoder->values, r.encoderSelfAttention.at(0, 1));
    QCOMPARE(encoder->rowLabels.size(), r.sourceLength());
    QCOMPARE(encoder->columnLabels, encoder->rowLabels);

    selection.selectHypothesis(1); // the second beam's own decoder self-attention
    grid.setAttentionKind(AttentionKind::DecoderSelf);
    const Hypothesis &second = r.hypotheses[1];
    QVERIFY(grid.attentionMap(1, 0) == &second.selfAttention.at(1, 0));
    auto decoder = selfAttentionView(r, 1, AttentionKind::DecoderSelf, head);
    QVERIFY(decoder);
    QCOMPARE(decoder->values, second.selfAttention.at(0, 1));
    QCOMPARE(decoder->rowLabels.size(), second.steps());
    QCOMPARE(decoder->columnLabels.front(), QStringLiteral("⟨start⟩"));
    QCOMPARE(decoder->columnLabels.size(), second.steps());
    if (second.steps() > 1) // the last step reads the output before it
        QCOMPARE(decoder->columnLabels.last(), QString::fromStdString(second.targetTokens[second.targetTokens.size() - 2]));
    for (int i = 0; i < decoder->values.rows(); ++i)
        QVERIFY(decoder->values.row(i).tail(decoder->values.cols() - i - 1).isZero()); // causal
    QVERIFY(!selfAttentionView(r, 0, AttentionKind::Cross, head));
}

// In Words, a self-attention is merged as the cross-attention is: a word row the mean of its
// pieces' rows, a word column the sum of its pieces' columns (the sample Marian folder, whose
// pieces split words on both sides).
void TestHeadGridModel::selfAttentionInWords()
{
    const auto model = std::make_shared<const Model>(openModel(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian").model);
    DecodeOptions options;
    options.selfAttention = true;
    const TranslationResult r = translate(*model, "Tomorrow's weather is unbelievably beautiful.", options);
    const WordMerge merge = mergeToWords(r, pieceMarkings(*model), specialTokens(*model));
    QVERIFY(merge.source.size() < r.sourceLength());
    QVERIFY(merge.target.front().size() < r.best().steps());
    HeadSelection head;
    head.layer = 1;
    head.heads = {2};

    const auto encoder = selfAttentionView(r, 0, AttentionKind::EncoderSelf, head, &merge);
    QVERIFY(encoder);
    const MatrixRM &pieces = r.encoderSelfAttention.at(1, 2);
    QCOMPARE(encoder->values.rows(), Eigen::Index(merge.source.size()));
    QCOMPARE(encoder->values.cols(), Eigen::Index(merge.source.size()));
    QCOMPARE(encoder->rowLabels.size(), merge.source.size());
    QCOMPARE(encoder->rowLabels.front(), QStringLiteral("Tomorrow's")); // four pieces
    for (int a = 0; a < merge.source.size(); ++a)
        for (int b = 0; b < merge.source.size(); ++b) {
            double want = 0;
            for (const int p : merge.source.words[size_t(a)].pieces)
                for (const int q : merge.source.words[size_t(b)].pieces)
                    want += pieces(p, q);
            want /= double(merge.source.words[size_t(a)].pieces.size());
            QVERIFY(std::abs(encoder->values(a, b) - want) < 1e-5);
        }

    const auto decoder = selfAttentionView(r, 0, AttentionKind::DecoderSelf, head, &merge);
    QVERIFY(decoder);
    const WordGrouping &rows = merge.target.front();
    QCOMPARE(decoder->values.rows(), Eigen::Index(rows.size()));
    QCOMPARE(decoder->rowLabels.size(), rows.size());
    QCOMPARE(decoder->columnLabels.front(), QStringLiteral("⟨start⟩"));
    QCOMPARE(decoder->columnLabels.size(), int(decoder->values.cols()));
    // The inputs are the start token and every output but the last (EOS, a word of its own).
    QCOMPARE(decoder->columnLabels.mid(1), decoder->rowLabels.mid(0, rows.size() - 1));
    for (int i = 0; i < decoder->values.rows(); ++i)
        QVERIFY(std::abs(decoder->values.row(i).sum() - 1.0) < 1e-5); // rows of weights still sum to 1
    // "Tom", one piece, is the first step: it reads the start token alone (causal, in words too).
    QCOMPARE(rows.words.front().pieces.size(), size_t(1));
    QVERIFY(std::abs(decoder->values(0, 0) - 1.0) < 1e-5);
}

// With Words shown, every thumbnail is its head merged to words: the rows and columns of the
// heatmap, the heatmap's values when that head alone is chosen.
void TestHeadGridModel::thumbnailsInWords()
{
    const auto model = std::make_shared<const Model>(openModel(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian").model);
    DecodeOptions options;
    options.selfAttention = true;
    TranslationOutput output;
    output.model = model;
    output.result = std::make_shared<TranslationResult>(
        translate(*model, "Tomorrow's weather is unbelievably beautiful.", options));
    ResultSelection selection;
    HeadGridModel grid(&selection);
    selection.setOutput(output);
    const Eigen::Index pieceRows = grid.attentionMap(0, 0)->rows(), pieceColumns = grid.attentionMap(0, 0)->cols();
    QVERIFY(grid.attentionMap(1, 2) == grid.crossAttention(1, 2)); // pieces: the model's own maps
    selection.setUnits(TokenUnits::Words);
    QVERIFY(selection.showsWords());
    for (AttentionKind kind : {AttentionKind::Cross, AttentionKind::EncoderSelf, AttentionKind::DecoderSelf}) {
        selection.setAttentionKind(kind);
        grid.clickHead(1, 2, Qt::NoModifier);
        const WordMerge &merge = *selection.wordMerge(); // made again when the output is shown again
        const MatrixRM *thumbnail = grid.attentionMap(1, 2);
        QVERIFY(thumbnail);
        const Eigen::Index rows = kind == AttentionKind::EncoderSelf ? merge.source.size() : merge.target.front().size();
        QCOMPARE(thumbnail->rows(), rows);
        QVERIFY(thumbnail->rows() < (kind == AttentionKind::EncoderSelf ? pieceColumns : pieceRows));
        // The heatmap of that one head, merged by the selection (and selfAttentionView).
        const MatrixRM heatmap = kind == AttentionKind::Cross
            ? selection.hypothesis()->attention
            : selfAttentionView(*selection.pieceOutput().result, 0, kind, selection.view(), &merge)->values;
        QCOMPARE(thumbnail->cols(), heatmap.cols());
        QVERIFY((*thumbnail - heatmap).cwiseAbs().maxCoeff() < 1e-6f);
        // Another head is another map, merged the same way.
        QVERIFY((*grid.attentionMap(0, 1) - *thumbnail).cwiseAbs().maxCoeff() > 1e-3f);
    }
    QVERIFY(grid.crossAttention(1, 2)->rows() == pieceRows); // still the pieces
    selection.setUnits(TokenUnits::Pieces);
    QCOMPARE(grid.attentionMap(1, 2)->rows(), pieceRows);
}

// The AER table: the counts of scoreHeads for the selection's hypothesis and the session's links.
void TestHeadGridModel::aerTableModel()
{
    ResultSelection selection;
    AlignmentSession gold(&selection);
    HeadAlignmentModel table(&selection, &gold);
    QAbstractItemModelTester tester(&table);
    QVERIFY(!table.available());
    QCOMPARE(table.rowCount(), 0);
    const auto model = std::make_shared<const Model>(test::makeTransformerModel(3, 2));
    TranslationOutput output = translated(model);
    const QString sentence = QString::fromStdString(output.result->sourceWords.front());
    output.sentence = sentence;
    gold.followInput(sentence, QString());
    selection.setOutput(output);
    QVERIFY(table.note().contains(QStringLiteral("gold links")));
    gold.setGoldAlignment(parsePharaoh("0-0 1-1 2-1\n", "gold").front());
    QVERIFY(table.available());
    QCOMPARE(table.rowCount(), 4);
    QCOMPARE(table.columnCount(), 3);
    const GoldAlignment links = *gold.goldAlignment();
    for (AlignmentRows rows : {AlignmentRows::Naive, AlignmentRows::Shifted}) {
        selection.setAlignmentRows(rows);
        const HeadScores expected = scoreHeads(*output.result, 0, links, nullptr, 0.0, rows);
        for (int l = 0; l < 3; ++l)
            for (int h = 0; h < 2; ++h)
                QCOMPARE(table.index(l, h).data(HeadAlignmentModel::AerRole).toDouble(),
                         expected.head(l, h).alignmentErrorRate());
        QCOMPARE(table.index(3, 2).data(HeadAlignmentModel::AerRole).toDouble(), expected.allLayers.alignmentErrorRate());
        QCOMPARE(table.headerData(3, Qt::Vertical).toString(), QStringLiteral("all layers"));
        QCOMPARE(table.headerData(2, Qt::Horizontal).toString(), QStringLiteral("mean"));
    }
    // The table scores the decoded rows whatever the heatmap reads (shifted here).
    QCOMPARE(table.scores(AlignmentRows::Naive).head(0, 0).a,
             scoreHeads(*output.result, 0, links).head(0, 0).a);
    table.activate(table.index(2, 1));
    QCOMPARE(selection.view().layer, 2);
    QCOMPARE(selection.view().heads, std::vector<int> {1});
    table.activate(table.index(3, 2));
    QVERIFY(selection.view().allLayers);
    table.activate(table.index(3, 0)); // an empty cell: nothing
    QVERIFY(selection.view().allLayers);
    gold.close();
    QVERIFY(!table.available());
}

QTEST_MAIN(TestHeadGridModel)
#include "tst_headgridmodel.moc"
