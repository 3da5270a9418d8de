#include "mainwindow.h"
#include "modelsession.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QPalette>
#include <QPixmap>
#include <QSettings>
#include <QTemporaryDir>

#include <cstdio>

namespace {

void useDarkPalette(QApplication &app)
{
    QApplication::setStyle(QStringLiteral("Fusion"));
    QPalette palette;
    const QColor window(0x2b, 0x2b, 0x2b), base(0x1e, 0x1e, 0x1e), text(0xe6, 0xe6, 0xe6);
    palette.setColor(QPalette::Window, window);
    palette.setColor(QPalette::WindowText, text);
    palette.setColor(QPalette::Base, base);
    palette.setColor(QPalette::AlternateBase, window);
    palette.setColor(QPalette::Text, text);
    palette.setColor(QPalette::Button, window);
    palette.setColor(QPalette::ButtonText, text);
    palette.setColor(QPalette::ToolTipBase, base);
    palette.setColor(QPalette::ToolTipText, text);
    palette.setColor(QPalette::PlaceholderText, QColor(0x90, 0x90, 0x90));
    palette.setColor(QPalette::Highlight, QColor(0x3d, 0x7a, 0xd6));
    palette.setColor(QPalette::HighlightedText, Qt::white);
    palette.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x80, 0x80));
    palette.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x80, 0x80, 0x80));
    app.setPalette(palette);
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("attnviz"));
    QApplication::setApplicationName(QStringLiteral("attnviz"));
    QApplication::setApplicationVersion(QStringLiteral(ATTNVIZ_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/attnviz/attnviz.svg")));
    QGuiApplication::setDesktopFileName(QStringLiteral("org.attnviz.attnviz"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QApplication::translate("main", "Visualize attention in seq2seq translation models."));
    parser.addHelpOption();
    parser.addVersionOption();
    // Hidden options are for documentation and visual checks.
    enum class Visibility { Shown, Hidden };
    auto addOption = [&parser](const char *name, const char *description, const char *value,
                               Visibility visibility = Visibility::Shown) {
        QCommandLineOption option(QString::fromLatin1(name),
                                  QApplication::translate("main", description),
                                  QString::fromLatin1(value));
        if (visibility == Visibility::Hidden)
            option.setFlags(QCommandLineOption::HiddenFromHelp);
        parser.addOption(option);
        return option;
    };
    const QCommandLineOption modelOption =
        addOption("model", "Model file to open (.safetensors or .json).", "FILE");
    const QCommandLineOption sentenceOption =
        addOption("sentence", "Sentence to translate.", "TEXT");
    const QCommandLineOption targetOption =
        addOption("target", "Reference translation: force the model to produce it.", "TEXT");
    const QCommandLineOption beamOption =
        addOption("beam", "Beam search with K hypotheses (default: greedy).", "K");
    const QCommandLineOption screenshotOption =
        addOption("screenshot", "Save an image of the main window to FILE and exit.", "FILE",
                  Visibility::Hidden);
    const QCommandLineOption viewOption = addOption(
        "view", "Central view to show: heatmap (default) or lines.", "VIEW", Visibility::Hidden);
    // Hidden: reach a view's state for a screenshot.
    const QCommandLineOption energiesOption =
        addOption("energies", "Show the raw scores e_ij in the heatmap.", nullptr, Visibility::Hidden);
    const QCommandLineOption temperatureOption =
        addOption("temperature", "Show softmax(e / T) in the heatmap.", "T", Visibility::Hidden);
    const QCommandLineOption goldOption =
        addOption("gold", "Gold links of the sentence, in Pharaoh format (\"4-0 3-1 1?2\").", "LINKS",
                  Visibility::Hidden);
    const QCommandLineOption forceOption =
        addOption("force", "Force all the attention of STEP on source POSITION (from 0).", "STEP:POSITION",
                  Visibility::Hidden);
    const QCommandLineOption listSamplesOption = addOption(
        "list-sample-models", "Print the folder of the sample models and their files, and exit.", nullptr);
    parser.addPositionalArgument(
        QStringLiteral("files"),
        QApplication::translate("main", "Model files: the first is opened, the others become recent models."),
        QStringLiteral("[FILE...]"));
    parser.process(app);

    if (parser.isSet(listSamplesOption)) {
        std::printf("%s\n", qPrintable(attnviz::ModelSession::sampleModelsDirectory()));
        for (const QFileInfo &model : attnviz::ModelSession::sampleModels())
            std::printf("%s\n", qPrintable(model.fileName()));
        return 0;
    }

    // For checking the views with a dark palette (ATTNVIZ_DARK=1), whatever the desktop uses.
    if (qEnvironmentVariableIntValue("ATTNVIZ_DARK") == 1)
        useDarkPalette(app);

    // A screenshot shows the default settings and leaves the person's own (recent models, last
    // sentence) alone.
    const QString screenshotPath = parser.value(screenshotOption);
    QTemporaryDir screenshotSettings;
    if (!screenshotPath.isEmpty())
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, screenshotSettings.path());

    attnviz::MainWindow window;
    if (!screenshotPath.isEmpty()) {
        // No one is there to close a message box: report on stderr and fail instead.
        QObject::connect(&window, &attnviz::MainWindow::modelLoadFailed, [](const QString &error) {
            std::fprintf(stderr, "attnviz: %s\n", qPrintable(error));
        });
    }
    bool loaded = true;
    if (parser.isSet(modelOption))
        loaded = window.loadModel(parser.value(modelOption));
    else if (!parser.positionalArguments().isEmpty())
        loaded = window.openFiles(parser.positionalArguments());
    else if (screenshotPath.isEmpty() && !parser.isSet(sentenceOption))
        window.restoreSession();
    if (parser.isSet(beamOption))
        window.setBeamWidth(parser.value(beamOption).toInt());
    if (parser.isSet(targetOption))
        window.setReference(parser.value(targetOption));
    if (parser.isSet(sentenceOption))
        window.setSentence(parser.value(sentenceOption));

    if (parser.isSet(energiesOption))
        window.setEnergiesShown(true);
    if (parser.isSet(temperatureOption))
        window.setTemperature(parser.value(temperatureOption).toDouble());
    if (parser.isSet(goldOption)) {
        try {
            const auto gold = attnviz::parsePharaoh(parser.value(goldOption).toStdString() + "\n", "--gold");
            window.setGoldAlignment(gold.empty() ? attnviz::GoldAlignment {} : gold.front());
        } catch (const std::exception &e) {
            std::fprintf(stderr, "attnviz: %s\n", e.what());
            return 2;
        }
    }
    if (parser.isSet(forceOption)) {
        window.waitForTranslation(60000);
        const QStringList parts = parser.value(forceOption).split(QLatin1Char(':'));
        if (parts.size() == 2)
            window.forceAttention(parts[0].toInt(), parts[1].toInt());
    }
    if (parser.value(viewOption) == QLatin1String("lines"))
        window.showLinesView();
    window.show();
    if (screenshotPath.isEmpty())
        return app.exec();

    if (!loaded)
        return 1;
    if (!window.waitForTranslation(60000)) {
        std::fprintf(stderr, "attnviz: the translation did not finish within a minute\n");
        return 1;
    }
    QApplication::processEvents();
    if (!window.grab().save(screenshotPath)) {
        std::fprintf(stderr, "attnviz: cannot write screenshot '%s'\n", qPrintable(screenshotPath));
        return 1;
    }
    return 0;
}
