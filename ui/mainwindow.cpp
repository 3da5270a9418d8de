#include "mainwindow.h"

#include <attnviz/model_file.h>
#include <attnviz/model_summary.h>

#include <QAction>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QMenuBar>
#include <QMessageBox>
#include <QTextBrowser>

namespace attnviz {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_info(new QTextBrowser(this))
{
    QMenu *fileMenu = menuBar()->addMenu(tr("&File"));
    QAction *openAction = fileMenu->addAction(tr("&Open model…"), this, &MainWindow::openModel);
    openAction->setShortcut(QKeySequence::Open);
    fileMenu->addSeparator();
    QAction *quitAction = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quitAction->setShortcut(QKeySequence(tr("Ctrl+Q")));

    m_info->setObjectName(QStringLiteral("modelInfo"));
    setCentralWidget(m_info);
    connect(this, &MainWindow::modelLoadFailed, this, &MainWindow::showLoadError);

    resize(720, 480);
    updateModelView();
}

MainWindow::~MainWindow() = default;

bool MainWindow::loadModel(const QString &path)
{
    // The one place where engine exceptions turn into something the UI shows.
    try {
        auto model =
            std::make_unique<ModelFile>(loadModelFile(QFile::encodeName(path).toStdString()));
        m_model = std::move(model);
    } catch (const std::exception &error) {
        emit modelLoadFailed(QString::fromStdString(error.what()));
        return false;
    }
    m_modelPath = path;
    updateModelView();
    emit modelLoaded(path);
    return true;
}

void MainWindow::openModel()
{
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open model"), QFileInfo(m_modelPath).absolutePath(),
                                     tr("attnviz models (*.safetensors *.json);;All files (*)"));
    if (!path.isEmpty())
        loadModel(path);
}

void MainWindow::showLoadError(const QString &message)
{
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Cannot open model"), message,
                                QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("loadErrorBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::updateModelView()
{
    if (!m_model) {
        setWindowTitle(tr("attnviz"));
        m_info->setHtml(QStringLiteral("<p><i>%1</i></p>").arg(tr("No model loaded")));
        return;
    }
    setWindowTitle(tr("%1 — attnviz").arg(QFileInfo(m_modelPath).fileName()));
    QString html = QStringLiteral("<h3>%1</h3><table cellspacing=\"4\">")
                       .arg(QFileInfo(m_modelPath).fileName().toHtmlEscaped());
    for (const ModelSummaryField &field : modelSummary(*m_model)) {
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
                    .arg(QString::fromStdString(field.label).toHtmlEscaped(),
                         QString::fromStdString(field.value).toHtmlEscaped());
    }
    html += QStringLiteral("</table>");
    m_info->setHtml(html);
}

} // namespace attnviz
