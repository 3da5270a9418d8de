// The model the window works with: loading one (the one place where loader exceptions become a
// message), using one made in memory (the PyTorch import), saving it, the recent models and the
// sample models. No dialogs: failures are signals and return values.
#pragma once

#include <QFileInfoList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

namespace attnviz {

class Model;
class Settings;

class ModelSession : public QObject
{
    Q_OBJECT
public:
    static constexpr int maxRecentModels = 8;

    // settings: where the recent models and the last model are kept (not owned).
    explicit ModelSession(Settings *settings, QObject *parent = nullptr);

    // On failure keeps the current model and emits loadFailed() with the loader's message.
    bool load(const QString &path);
    // `attnviz FILE...`: loads the first file; the others that exist become recent models, in
    // the order given, right after it. Returns load(first); false for an empty list.
    bool openFiles(const QStringList &paths);
    // A model made in memory: shown like a loaded one, but neither recent nor restored next time.
    void use(std::shared_ptr<const Model> model, const QString &label);
    // Writes the model as an attnviz-seq2seq/1 file (format by extension), atomically; the
    // saved file is then the model's path and a recent model.
    bool saveAs(const QString &path, QString *error);

    std::shared_ptr<const Model> model() const { return m_model; } // nullptr when none
    QString path() const { return m_path; } // the file, or the label of a model in memory
    QString name() const; // the model's own name, else its file's
    QStringList recentModels() const; // newest first, at most maxRecentModels

    // Installed: <prefix>/share/attnviz/sample_models next to bin/; else the source tree's.
    static QString sampleModelsDirectory();
    static QFileInfoList sampleModels(); // the .safetensors files there, by name, then the model folders

signals:
    void modelChanged(const QString &path); // loaded or used
    void pathChanged(const QString &path); // the same model, saved under another name
    void loadFailed(const QString &message);
    void recentModelsChanged();

private:
    void addRecentModel(const QString &path);
    void addRecentModels(const QStringList &newestFirst);

    Settings *m_settings;
    std::shared_ptr<const Model> m_model;
    QString m_path;
};

} // namespace attnviz
