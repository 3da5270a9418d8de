#pragma once

#include <QMainWindow>

#include <memory>

class QTextBrowser;

namespace attnviz {

struct ModelFile;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Loads a model; on failure keeps the current one, emits modelLoadFailed() and shows the
    // message in a window-modal box that does not block the caller.
    bool loadModel(const QString &path);

    const ModelFile *model() const { return m_model.get(); } // nullptr when none is loaded
    QString modelPath() const { return m_modelPath; }

signals:
    void modelLoaded(const QString &path);
    void modelLoadFailed(const QString &message);

private:
    void openModel();
    void showLoadError(const QString &message);
    void updateModelView();

    std::unique_ptr<ModelFile> m_model;
    QString m_modelPath;
    QTextBrowser *m_info = nullptr;
};

} // namespace attnviz
