#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QPixmap>

#include <cstdio>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("attnviz"));
    QApplication::setApplicationVersion(QStringLiteral(ATTNVIZ_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/attnviz/attnviz.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QApplication::translate("main", "Visualize attention in seq2seq translation models."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption modelOption(
        QStringLiteral("model"),
        QApplication::translate("main", "Model file to open (.safetensors or .json)."),
        QStringLiteral("FILE"));
    parser.addOption(modelOption);
    // Used by later views; accepted now so that scripts can already pass it.
    QCommandLineOption sentenceOption(QStringLiteral("sentence"),
                                      QApplication::translate("main", "Sentence to translate."),
                                      QStringLiteral("TEXT"));
    sentenceOption.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(sentenceOption);
    // For documentation and visual checks: render the main window to an image and exit.
    QCommandLineOption screenshotOption(
        QStringLiteral("screenshot"),
        QApplication::translate("main", "Save an image of the main window to FILE and exit."),
        QStringLiteral("FILE"));
    screenshotOption.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(screenshotOption);
    parser.process(app);

    attnviz::MainWindow window;
    const QString screenshotPath = parser.value(screenshotOption);
    if (!screenshotPath.isEmpty()) {
        // No one is there to close a message box: report on stderr and fail instead.
        QObject::connect(&window, &attnviz::MainWindow::modelLoadFailed, [](const QString &error) {
            std::fprintf(stderr, "attnviz: %s\n", qPrintable(error));
        });
    }
    const bool loaded = !parser.isSet(modelOption) || window.loadModel(parser.value(modelOption));

    window.show();
    if (screenshotPath.isEmpty())
        return app.exec();

    if (!loaded)
        return 1;
    QApplication::processEvents();
    if (!window.grab().save(screenshotPath)) {
        std::fprintf(stderr, "attnviz: cannot write screenshot '%s'\n", qPrintable(screenshotPath));
        return 1;
    }
    return 0;
}
