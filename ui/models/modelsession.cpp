#include "modelsession.h"

#include "settings.h"

#include <attnviz/models/model.h>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace attnviz {

ModelSession::ModelSession(Settings *settings, QObject *parent)
    : QObject(parent)
    , m_settings(settings)
{ }

bool ModelSession::load(const QString &path)
{
    std::shared_ptr<const Model> model;
    try {
        model = Model::fromFile(QFile::encodeName(path).toStdString());
    } catch (const std::exception &error) {
        emit loadFailed(QString::fromStdString(error.what()));
        return false;
    }
    m_model = std::move(model);
    m_path = path;
    addRecentModel(QFileInfo(path).absoluteFilePath());
    emit modelChanged(path);
    return true;
}

bool ModelSession::openFiles(const QStringList &paths)
{
    if (paths.isEmpty())
        return false;
    QStringList others;
    for (qsizetype i = 1; i < paths.size(); ++i) {
        const QFileInfo file(paths[i]);
        if (file.isFile())
            others.append(file.absoluteFilePath());
    }
    addRecentModels(others);
    return load(paths.front());
}

void ModelSession::use(std::shared_ptr<const Model> model, const QString &label)
{
    m_model = std::move(model);
    m_path = label;
    emit modelChanged(label);
}

bool ModelSession::saveAs(const QString &path, QString *error)
{
    if (!m_model)
        return false;
    try {
        saveModelFile(m_model->file(), QFile::encodeName(path).toStdString());
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
    m_path = path;
    addRecentModel(QFileInfo(path).absoluteFilePath());
    emit pathChanged(path);
    return true;
}

QString ModelSession::name() const
{
    if (!m_model)
        return {};
    const std::string &name = m_model->config().name;
    return name.empty() ? QFileInfo(m_path).fileName() : QString::fromStdString(name);
}

QStringList ModelSession::recentModels() const
{
    return m_settings->recentModels();
}

void ModelSession::addRecentModel(const QString &path)
{
    addRecentModels({path});
    m_settings->setLastModel(path);
}

void ModelSession::addRecentModels(const QStringList &newestFirst)
{
    if (newestFirst.isEmpty())
        return;
    QStringList recent = m_settings->recentModels();
    for (const QString &path : newestFirst)
        recent.removeAll(path);
    recent = newestFirst + recent;
    while (recent.size() > maxRecentModels)
        recent.removeLast();
    m_settings->setRecentModels(recent);
    emit recentModelsChanged();
}

QString ModelSession::sampleModelsDirectory()
{
    const QDir installed(QCoreApplication::applicationDirPath()
                         + QStringLiteral("/../share/attnviz/sample_models"));
    if (installed.exists())
        return installed.canonicalPath();
#ifdef ATTNVIZ_SOURCE_SAMPLE_MODELS_DIR
    return QStringLiteral(ATTNVIZ_SOURCE_SAMPLE_MODELS_DIR);
#else
    return {};
#endif
}

QFileInfoList ModelSession::sampleModels()
{
    // The attnviz files, then the model folders (a Marian folder holds config.json).
    const QDir dir(sampleModelsDirectory());
    QFileInfoList models = dir.entryInfoList({QStringLiteral("*.safetensors")}, QDir::Files, QDir::Name);
    for (const QFileInfo &folder : dir.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
        if (QFileInfo::exists(folder.filePath() + QStringLiteral("/config.json")))
            models.append(folder);
    return models;
}

} // namespace attnviz
